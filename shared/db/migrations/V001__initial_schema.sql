-- V001: every table, its constraints, row-level security and the app role's grants.
-- Runs as tenantry_owner (see shared/db/roles.sql). Forward-only: never edit once landed.
--
-- Tenant context is the transaction-local setting app.user_id, set by withUser() with
-- set_config(…, true). Policies read it once per statement through a subselect:
--   (select nullif(current_setting('app.user_id', true), '')::uuid)
-- No setting means NULL, and NULL matches no row.

do $check$
begin
  if (select count(*) from pg_roles
      where rolname in ('tenantry_app', 'tenantry_system', 'tenantry_definer')) <> 3 then
    raise exception 'roles tenantry_app, tenantry_system and tenantry_definer must exist: run shared/db/roles.sql as an administrator first';
  end if;
end
$check$;

revoke all on schema public from public;
grant usage on schema public to tenantry_app, tenantry_system, tenantry_definer;
-- Functions created from now on are not executable by everyone by default, and nobody
-- gets temporary tables (which could shadow a table on a pooled connection).
alter default privileges in schema public revoke execute on functions from public;
do $temp$
begin
  execute format('revoke temporary on database %I from public', current_database());
end
$temp$;

-- Names of orgs and projects: trimmed, 1–100 characters, no control characters.
create domain entity_name as text
  check (value = btrim(value)
         and char_length(value) between 1 and 100
         and value !~ '[\x01-\x1f\x7f-\x9f]');

create function set_updated_at() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.updated_at := now();
  return new;
end
$$;
revoke execute on function set_updated_at() from public;

-- Guests only: a generated handle, never a name, e-mail or any other personal data.
create table users (
  id         uuid primary key default gen_random_uuid(),
  handle     text not null unique check (handle ~ '^guest-[0-9]{4,12}$'),
  created_at timestamptz not null default now()
);

-- Opaque refresh tokens, stored as a hash only. A family is one sign-in; reuse of a
-- rotated token revokes the whole family.
create table refresh_tokens (
  id          uuid primary key default gen_random_uuid(),
  user_id     uuid not null references users (id) on delete cascade,
  family_id   uuid not null,
  token_hash  bytea not null unique,
  created_at  timestamptz not null default now(),
  expires_at  timestamptz not null,
  rotated_at  timestamptz,
  revoked_at  timestamptz,
  check (expires_at > created_at)
);
create index refresh_tokens_user_id_idx on refresh_tokens (user_id);
create index refresh_tokens_family_id_idx on refresh_tokens (family_id);

create table orgs (
  id         uuid primary key default gen_random_uuid(),
  name       entity_name not null,
  status     text not null default 'pending' check (status in ('pending', 'committed', 'failed')),
  created_by uuid not null references users (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index orgs_created_by_idx on orgs (created_by);
create trigger orgs_updated_at before update on orgs
  for each row execute function set_updated_at();

create table memberships (
  org_id     uuid not null references orgs (id) on delete cascade,
  user_id    uuid not null references users (id) on delete cascade,
  role       text not null check (role in ('owner', 'admin', 'member')),
  created_at timestamptz not null default now(),
  primary key (org_id, user_id)
);
-- Policies look memberships up by user; the primary key serves lookups by org.
create index memberships_user_id_idx on memberships (user_id) include (org_id, role);

create table invites (
  id         uuid primary key default gen_random_uuid(),
  org_id     uuid not null references orgs (id) on delete cascade,
  code_hash  bytea not null unique,
  role       text not null default 'member' check (role in ('admin', 'member')),
  created_by uuid not null references users (id),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at    timestamptz,
  used_by    uuid references users (id),
  check (expires_at > created_at),
  check ((used_at is null) = (used_by is null))
);
create index invites_org_id_idx on invites (org_id);

create table projects (
  id          uuid primary key default gen_random_uuid(),
  org_id      uuid not null references orgs (id) on delete cascade,
  name        entity_name not null,
  description text not null default '' check (char_length(description) <= 1000),
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  constraint projects_org_id_name_key unique (org_id, name)
);
create trigger projects_updated_at before update on projects
  for each row execute function set_updated_at();

-- Metadata only: no message content is stored anywhere.
create table chat_sessions (
  id         uuid primary key default gen_random_uuid(),
  user_id    uuid not null references users (id) on delete cascade,
  project_id uuid not null references projects (id) on delete cascade,
  status     text not null default 'active' check (status in ('active', 'closed', 'expired')),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  closed_at  timestamptz,
  check (expires_at > created_at)
);
create index chat_sessions_user_project_active_idx on chat_sessions (user_id, project_id)
  where status = 'active';
create index chat_sessions_user_id_idx on chat_sessions (user_id);
create index chat_sessions_project_id_idx on chat_sessions (project_id);

-- Config: one row per service (the source of truth) and its append-only history.
create table service_configs (
  service    text primary key check (service ~ '^[a-z][a-z0-9-]{0,62}$'),
  version    integer not null check (version > 0),
  data       jsonb not null check (jsonb_typeof(data) = 'object'),
  updated_at timestamptz not null default now(),
  updated_by text not null
);

create table config_history (
  id         bigint generated always as identity primary key,
  service    text not null references service_configs (service),
  version    integer not null check (version > 0),
  data       jsonb not null,
  updated_at timestamptz not null default now(),
  updated_by text not null,
  unique (service, version)
);

-- Org creation saga: one row per attempt and a log line per step and compensation.
create table org_sagas (
  id         uuid primary key default gen_random_uuid(),
  org_id     uuid not null, -- no foreign key: the log outlives a compensated org
  started_by uuid not null references users (id) on delete cascade,
  status     text not null default 'pending' check (status in ('pending', 'committed', 'failed')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index org_sagas_started_by_idx on org_sagas (started_by);
create index org_sagas_org_id_idx on org_sagas (org_id);
create trigger org_sagas_updated_at before update on org_sagas
  for each row execute function set_updated_at();

create table org_saga_steps (
  id       bigint generated always as identity primary key,
  saga_id  uuid not null references org_sagas (id) on delete cascade,
  step     text not null,
  phase    text not null check (phase in ('apply', 'compensate')),
  outcome  text not null check (outcome in ('succeeded', 'failed')),
  error    text,
  at       timestamptz not null default now()
);
create index org_saga_steps_saga_id_idx on org_saga_steps (saga_id);

-- Who did what, by id only. Append-only for the app.
create table audit_log (
  id      bigint generated always as identity primary key,
  org_id  uuid, -- no foreign key: the trail outlives the org
  actor   text not null, -- 'user:<uuid>' or 'client:<client id>'
  action  text not null,
  target  text,
  details jsonb not null default '{}',
  at      timestamptz not null default now()
);
create index audit_log_org_id_at_idx on audit_log (org_id, at);

create table idempotency_keys (
  user_id         uuid not null references users (id) on delete cascade,
  key             text not null check (char_length(key) between 1 and 255),
  request_hash    bytea not null,
  status          text not null default 'in_flight' check (status in ('in_flight', 'completed')),
  response_status integer,
  response_body   bytea,
  response_headers jsonb,
  created_at      timestamptz not null default now(),
  expires_at      timestamptz not null,
  primary key (user_id, key)
);
create index idempotency_keys_expires_at_idx on idempotency_keys (expires_at);

-- At most N active chats per (user, project), N from the chat config (3 by default).
-- Race-safe: a transaction-scoped advisory lock on (user, project) serialises the
-- check-then-insert of concurrent transactions; under READ COMMITTED (the default) each
-- statement below takes a fresh snapshot after the lock, so it sees the winner's row.
-- An expired chat no longer holds a slot even before a sweeper marks it.
create function enforce_active_chat_limit() returns trigger
language plpgsql set search_path = '' as $$
declare
  max_active integer;
  active     integer;
begin
  perform pg_advisory_xact_lock(hashtextextended('chat_sessions:' || new.user_id || ':' || new.project_id, 0));
  select coalesce((c.data ->> 'max_active_chats_per_user_per_project')::integer, 3)
    into max_active
    from public.service_configs c where c.service = 'chat';
  max_active := coalesce(max_active, 3);
  select count(*) into active
    from public.chat_sessions s
   where s.user_id = new.user_id and s.project_id = new.project_id
     and s.status = 'active' and s.expires_at > now() and s.id <> new.id;
  if active >= max_active then
    raise exception 'at most % active chats per user per project', max_active
      using errcode = 'check_violation', constraint = 'chat_sessions_active_limit',
            table = 'chat_sessions';
  end if;
  return new;
end
$$;
revoke execute on function enforce_active_chat_limit() from public;
create trigger chat_sessions_active_limit
  before insert or update of status, expires_at, user_id, project_id on chat_sessions
  for each row when (new.status = 'active') execute function enforce_active_chat_limit();

-- Membership lookups for the policies that cannot read memberships directly: the
-- memberships policies themselves (a policy may not query its own table) and the
-- user-visibility policy. SECURITY DEFINER, owned by tenantry_definer (BYPASSRLS), so
-- they read memberships without recursing into its policy; each reads only the caller's
-- own context. PL/pgSQL rather than SQL: PostgreSQL 15 plans a non-inlined SQL function
-- body again in every statement that calls it, PL/pgSQL keeps the plan per session.
create function app_user_org_ids() returns setof uuid
language plpgsql stable security definer set search_path = '' as $$
begin
  return query
    select m.org_id from public.memberships m
     where m.user_id = (select nullif(current_setting('app.user_id', true), '')::uuid);
end
$$;

-- Orgs where the caller holds at least min_role (owner > admin > member).
create function app_user_org_ids_with_role(min_role text) returns setof uuid
language plpgsql stable security definer set search_path = '' as $$
begin
  return query
    select m.org_id from public.memberships m
     where m.user_id = (select nullif(current_setting('app.user_id', true), '')::uuid)
       and case min_role
             when 'owner' then m.role = 'owner'
             when 'admin' then m.role in ('owner', 'admin')
             when 'member' then true
             else false
           end;
end
$$;

-- Users who share at least one org with the caller (member lists show their handles).
create function app_peer_user_ids() returns setof uuid
language plpgsql stable security definer set search_path = '' as $$
begin
  return query
    select peer.user_id
      from public.memberships mine
      join public.memberships peer on peer.org_id = mine.org_id
     where mine.user_id = (select nullif(current_setting('app.user_id', true), '')::uuid);
end
$$;

revoke execute on function app_user_org_ids(), app_user_org_ids_with_role(text),
  app_peer_user_ids() from public;
grant execute on function app_user_org_ids(), app_user_org_ids_with_role(text),
  app_peer_user_ids() to tenantry_app, tenantry_system, tenantry_owner;
grant select on memberships to tenantry_definer;
-- ALTER … OWNER needs CREATE on the schema for the new owner: grant it just for this.
grant create on schema public to tenantry_definer;
alter function app_user_org_ids() owner to tenantry_definer;
alter function app_user_org_ids_with_role(text) owner to tenantry_definer;
alter function app_peer_user_ids() owner to tenantry_definer;
revoke create on schema public from tenantry_definer;

-- Row-level security: enabled and FORCED everywhere, so the owner is filtered too.
do $rls$
declare
  t text;
begin
  foreach t in array array['users', 'refresh_tokens', 'orgs', 'memberships', 'invites',
    'projects', 'chat_sessions', 'service_configs', 'config_history', 'org_sagas',
    'org_saga_steps', 'audit_log', 'idempotency_keys']
  loop
    execute format('alter table %I enable row level security', t);
    execute format('alter table %I force row level security', t);
  end loop;
end
$rls$;

-- users: yourself, and the people who share an org with you.
create policy users_select on users for select
  using (id = (select nullif(current_setting('app.user_id', true), '')::uuid)
         or id in (select app_peer_user_ids()));
create policy users_insert on users for insert
  with check (id = (select nullif(current_setting('app.user_id', true), '')::uuid));

create policy refresh_tokens_own on refresh_tokens for all
  using (user_id = (select nullif(current_setting('app.user_id', true), '')::uuid))
  with check (user_id = (select nullif(current_setting('app.user_id', true), '')::uuid));

-- Org-scoped tables check membership with EXISTS on memberships: the planner folds it
-- into the statement's (cached) plan as one index probe, and the caller's own
-- membership row passes the memberships policy by its first, function-free arm.

-- orgs: members see; admins edit; owners delete. Creation is a saga step (asSystem).
create policy orgs_select on orgs for select
  using (exists (select 1 from memberships m
                 where m.org_id = orgs.id
                   and m.user_id = (select nullif(current_setting('app.user_id', true), '')::uuid)));
create policy orgs_update on orgs for update
  using (exists (select 1 from memberships m
                 where m.org_id = orgs.id
                   and m.user_id = (select nullif(current_setting('app.user_id', true), '')::uuid)
                   and m.role in ('owner', 'admin')))
  with check (exists (select 1 from memberships m
                 where m.org_id = orgs.id
                   and m.user_id = (select nullif(current_setting('app.user_id', true), '')::uuid)
                   and m.role in ('owner', 'admin')));
create policy orgs_delete on orgs for delete
  using (exists (select 1 from memberships m
                 where m.org_id = orgs.id
                   and m.user_id = (select nullif(current_setting('app.user_id', true), '')::uuid)
                   and m.role = 'owner'));

-- memberships: members see their org's list; owners change roles (the app role may
-- update the role column only); admins remove, and anyone may leave. Joining goes
-- through an invite or the org saga (asSystem): the app role has no INSERT, so nobody
-- can pull a user into an org by knowing their id.
create policy memberships_select on memberships for select
  using (user_id = (select nullif(current_setting('app.user_id', true), '')::uuid)
         or org_id in (select app_user_org_ids()));
create policy memberships_update on memberships for update
  using (org_id in (select app_user_org_ids_with_role('owner')))
  with check (org_id in (select app_user_org_ids_with_role('owner')));
create policy memberships_delete on memberships for delete
  using (org_id in (select app_user_org_ids_with_role('admin'))
         or user_id = (select nullif(current_setting('app.user_id', true), '')::uuid));

create policy invites_admin on invites for all
  using (exists (select 1 from memberships m
                 where m.org_id = invites.org_id
                   and m.user_id = (select nullif(current_setting('app.user_id', true), '')::uuid)
                   and m.role in ('owner', 'admin')))
  with check (exists (select 1 from memberships m
                 where m.org_id = invites.org_id
                   and m.user_id = (select nullif(current_setting('app.user_id', true), '')::uuid)
                   and m.role in ('owner', 'admin')));

create policy projects_select on projects for select
  using (exists (select 1 from memberships m
                 where m.org_id = projects.org_id
                   and m.user_id = (select nullif(current_setting('app.user_id', true), '')::uuid)));
create policy projects_insert on projects for insert
  with check (exists (select 1 from memberships m
                 where m.org_id = projects.org_id
                   and m.user_id = (select nullif(current_setting('app.user_id', true), '')::uuid)
                   and m.role in ('owner', 'admin')));
create policy projects_update on projects for update
  using (exists (select 1 from memberships m
                 where m.org_id = projects.org_id
                   and m.user_id = (select nullif(current_setting('app.user_id', true), '')::uuid)
                   and m.role in ('owner', 'admin')))
  with check (exists (select 1 from memberships m
                 where m.org_id = projects.org_id
                   and m.user_id = (select nullif(current_setting('app.user_id', true), '')::uuid)
                   and m.role in ('owner', 'admin')));
create policy projects_delete on projects for delete
  using (exists (select 1 from memberships m
                 where m.org_id = projects.org_id
                   and m.user_id = (select nullif(current_setting('app.user_id', true), '')::uuid)
                   and m.role in ('owner', 'admin')));

-- chat_sessions: a chat is its own user's, opened in a project the user can see.
create policy chat_sessions_own on chat_sessions for all
  using (user_id = (select nullif(current_setting('app.user_id', true), '')::uuid))
  with check (user_id = (select nullif(current_setting('app.user_id', true), '')::uuid)
              and project_id in (select p.id from projects p));

-- Config is platform-wide, not tenant data: readable by the app, written by the config
-- function; history is append-only (no UPDATE or DELETE grant either).
create policy service_configs_read on service_configs for select using (true);
create policy service_configs_insert on service_configs for insert with check (true);
create policy service_configs_update on service_configs for update using (true) with check (true);
create policy config_history_read on config_history for select using (true);
create policy config_history_append on config_history for insert with check (true);

-- Saga log: readable by who started it; written by the saga (asSystem).
create policy org_sagas_select on org_sagas for select
  using (started_by = (select nullif(current_setting('app.user_id', true), '')::uuid));
create policy org_saga_steps_select on org_saga_steps for select
  using (saga_id in (select s.id from org_sagas s));

-- Audit trail: an org's members read its entries. A user appends entries as themself,
-- for their own orgs or platform-level (org_id null); without a user context (machine
-- clients) only platform-level entries by a client actor.
create policy audit_log_select on audit_log for select
  using (exists (select 1 from memberships m
                 where m.org_id = audit_log.org_id
                   and m.user_id = (select nullif(current_setting('app.user_id', true), '')::uuid)));
create policy audit_log_insert on audit_log for insert
  with check (
    case
      when (select nullif(current_setting('app.user_id', true), '')::uuid) is null
        then org_id is null and actor like 'client:%'
      else actor = 'user:' || (select nullif(current_setting('app.user_id', true), '')::uuid)
           and (org_id is null or exists (select 1 from memberships m
                 where m.org_id = audit_log.org_id
                   and m.user_id = (select nullif(current_setting('app.user_id', true), '')::uuid)))
    end);

create policy idempotency_keys_own on idempotency_keys for all
  using (user_id = (select nullif(current_setting('app.user_id', true), '')::uuid))
  with check (user_id = (select nullif(current_setting('app.user_id', true), '')::uuid));

-- Grants: only what the functions need. No TRUNCATE, REFERENCES or TRIGGER anywhere.
grant select, insert on users to tenantry_app;
grant select, insert, update, delete on refresh_tokens to tenantry_app;
grant select, update, delete on orgs to tenantry_app;
grant select, delete on memberships to tenantry_app;
grant update (role) on memberships to tenantry_app;
grant select, insert, update, delete on invites, projects, chat_sessions, idempotency_keys
  to tenantry_app;
grant select, insert, update on service_configs to tenantry_app;
grant select, insert on config_history, audit_log to tenantry_app;
grant select on org_sagas, org_saga_steps to tenantry_app;

-- tenantry_system (asSystem) additionally creates users' orgs, runs the saga, accepts
-- invites and looks refresh tokens up by hash. Still append-only on history and audit.
grant select, insert, update, delete on users, refresh_tokens, orgs, memberships, invites,
  projects, chat_sessions, idempotency_keys, org_sagas to tenantry_system;
grant select, insert, update on service_configs to tenantry_system;
grant select, insert on config_history, audit_log, org_saga_steps to tenantry_system;
