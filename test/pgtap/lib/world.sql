-- The world every pgTAP file tests against, included with `\ir lib/world.sql` right
-- after plan(). It is written by the superuser running the file (who bypasses RLS), inside
-- the file's transaction, so the ROLLBACK at the end removes it again.
--
--   who     id                                     what
--   alice   a11ce000-0000-4000-8000-000000000000   owner of org A
--   adam    ada00000-0000-4000-8000-000000000000   plain member of org A
--   bob     b0b00000-0000-4000-8000-000000000000   owner of org B
--   eve     e5e00000-0000-4000-8000-000000000000   in no org at all
--
--   org A 0a000000-…   org B 0b000000-…   (every other id below follows the same 'a'/'b' pattern)
--   projects      9a000000-… (org A)        9b000000-… (org B)
--   chat_sessions ca000000-… (alice, A)     cad00000-… (adam, A)      cb000000-… (bob, B)
--   invites       1a000000-… (org A)        1b000000-… (org B)
--   refresh_tokens 7a000000-… (alice)       7ad00000-… (adam)         7b000000-… (bob)
--   org_sagas     5a000000-… (alice, A)     5b000000-… (bob, B);  org_saga_steps 101 (A), 102 (B)
--   audit_log     201 (org A)   202 (org B)   203 (platform-level, no org)
--   idempotency_keys  (alice, 'key-a')  (bob, 'key-b')

insert into users (id, handle) values
  ('a11ce000-0000-4000-8000-000000000000', 'guest-1001'),
  ('ada00000-0000-4000-8000-000000000000', 'guest-1002'),
  ('b0b00000-0000-4000-8000-000000000000', 'guest-1003'),
  ('e5e00000-0000-4000-8000-000000000000', 'guest-1004');

insert into orgs (id, name, status, created_by) values
  ('0a000000-0000-4000-8000-000000000000', 'Org A', 'committed', 'a11ce000-0000-4000-8000-000000000000'),
  ('0b000000-0000-4000-8000-000000000000', 'Org B', 'committed', 'b0b00000-0000-4000-8000-000000000000');

insert into memberships (org_id, user_id, role) values
  ('0a000000-0000-4000-8000-000000000000', 'a11ce000-0000-4000-8000-000000000000', 'owner'),
  ('0a000000-0000-4000-8000-000000000000', 'ada00000-0000-4000-8000-000000000000', 'member'),
  ('0b000000-0000-4000-8000-000000000000', 'b0b00000-0000-4000-8000-000000000000', 'owner');

insert into projects (id, org_id, name) values
  ('9a000000-0000-4000-8000-000000000000', '0a000000-0000-4000-8000-000000000000', 'Project A'),
  ('9b000000-0000-4000-8000-000000000000', '0b000000-0000-4000-8000-000000000000', 'Project B');

insert into chat_sessions (id, user_id, project_id, expires_at) values
  ('ca000000-0000-4000-8000-000000000000', 'a11ce000-0000-4000-8000-000000000000', '9a000000-0000-4000-8000-000000000000', now() + interval '30 minutes'),
  ('cad00000-0000-4000-8000-000000000000', 'ada00000-0000-4000-8000-000000000000', '9a000000-0000-4000-8000-000000000000', now() + interval '30 minutes'),
  ('cb000000-0000-4000-8000-000000000000', 'b0b00000-0000-4000-8000-000000000000', '9b000000-0000-4000-8000-000000000000', now() + interval '30 minutes');

insert into invites (id, org_id, code_hash, role, created_by, expires_at) values
  ('1a000000-0000-4000-8000-000000000000', '0a000000-0000-4000-8000-000000000000', '\x0a', 'member', 'a11ce000-0000-4000-8000-000000000000', now() + interval '7 days'),
  ('1b000000-0000-4000-8000-000000000000', '0b000000-0000-4000-8000-000000000000', '\x0b', 'member', 'b0b00000-0000-4000-8000-000000000000', now() + interval '7 days');

insert into refresh_tokens (id, user_id, family_id, token_hash, expires_at) values
  ('7a000000-0000-4000-8000-000000000000', 'a11ce000-0000-4000-8000-000000000000', '7a000000-0000-4000-8000-0000000000ff', '\x7a', now() + interval '30 days'),
  ('7ad00000-0000-4000-8000-000000000000', 'ada00000-0000-4000-8000-000000000000', '7ad00000-0000-4000-8000-0000000000ff', '\x7ad0', now() + interval '30 days'),
  ('7b000000-0000-4000-8000-000000000000', 'b0b00000-0000-4000-8000-000000000000', '7b000000-0000-4000-8000-0000000000ff', '\x7b', now() + interval '30 days');

insert into org_sagas (id, org_id, started_by, status) values
  ('5a000000-0000-4000-8000-000000000000', '0a000000-0000-4000-8000-000000000000', 'a11ce000-0000-4000-8000-000000000000', 'committed'),
  ('5b000000-0000-4000-8000-000000000000', '0b000000-0000-4000-8000-000000000000', 'b0b00000-0000-4000-8000-000000000000', 'committed');

insert into org_saga_steps (id, saga_id, step, phase, outcome) overriding system value values
  (101, '5a000000-0000-4000-8000-000000000000', 'create-org', 'apply', 'succeeded'),
  (102, '5b000000-0000-4000-8000-000000000000', 'create-org', 'apply', 'succeeded');

insert into audit_log (id, org_id, actor, action) overriding system value values
  (201, '0a000000-0000-4000-8000-000000000000', 'user:a11ce000-0000-4000-8000-000000000000', 'org.create'),
  (202, '0b000000-0000-4000-8000-000000000000', 'user:b0b00000-0000-4000-8000-000000000000', 'org.create'),
  (203, null, 'client:config-admin', 'config.update');

insert into idempotency_keys (user_id, key, request_hash, expires_at) values
  ('a11ce000-0000-4000-8000-000000000000', 'key-a', '\xaa', now() + interval '1 day'),
  ('b0b00000-0000-4000-8000-000000000000', 'key-b', '\xbb', now() + interval '1 day');
