-- V003: saga recovery (functions/orgs/lib/saga-recovery.ts) looks for sagas still
-- `pending` after a while, from every orgs replica every few minutes. Almost every saga
-- ends `committed` or `failed`, so a partial index keeps that look an index probe over
-- the few pending rows instead of a scan of every org ever created.
create index org_sagas_pending_created_at_idx on org_sagas (created_at) where status = 'pending';
