-- audit_log: an org's members read its entries; a user appends as themself for their
-- own orgs or at platform level (no org); without a user, only platform-level entries by
-- a client actor; nobody updates or deletes (no grant).
BEGIN;
select plan(18);
\ir lib/world.sql

set local role tenantry_app;
select is_empty('select id from audit_log', 'audit_log: the app role without app.user_id sees none');
reset role;
set local role tenantry_owner;
select is_empty('select id from audit_log', 'audit_log: the table owner without context sees none (RLS is forced)');
reset role;

set local role tenantry_app;
select set_config('app.user_id', 'a11ce000-0000-4000-8000-000000000000', true);
select results_eq('select id from audit_log order by id', array[201]::bigint[],
  'audit_log: alice sees org A''s entries only (not org B''s, not platform entries)');
select set_config('app.user_id', 'ada00000-0000-4000-8000-000000000000', true);
select results_eq('select id from audit_log order by id', array[201]::bigint[],
  'audit_log: adam, a plain member of org A, sees org A''s entries only');
select set_config('app.user_id', 'b0b00000-0000-4000-8000-000000000000', true);
select results_eq('select id from audit_log order by id', array[202]::bigint[],
  'audit_log: bob sees org B''s entries only');
select set_config('app.user_id', 'e5e00000-0000-4000-8000-000000000000', true);
select is_empty('select id from audit_log', 'audit_log: eve, in no org, sees none');

-- Bob against org A's trail.
select set_config('app.user_id', 'b0b00000-0000-4000-8000-000000000000', true);
select throws_ok(
  $$insert into audit_log (org_id, actor, action)
    values ('0a000000-0000-4000-8000-000000000000', 'user:b0b00000-0000-4000-8000-000000000000', 'forged')$$,
  '42501', 'new row violates row-level security policy for table "audit_log"',
  'audit_log: bob cannot append to org A''s trail');
select throws_ok(
  $$update audit_log set action = 'rewritten' where id = 201$$,
  '42501', 'permission denied for table audit_log',
  'audit_log: the app role cannot update entries');
select throws_ok(
  $$delete from audit_log where id = 201$$,
  '42501', 'permission denied for table audit_log',
  'audit_log: the app role cannot delete entries');

-- Eve, in no org, cannot append to any org's trail either.
select set_config('app.user_id', 'e5e00000-0000-4000-8000-000000000000', true);
select throws_ok(
  $$insert into audit_log (org_id, actor, action)
    values ('0a000000-0000-4000-8000-000000000000', 'user:e5e00000-0000-4000-8000-000000000000', 'forged')$$,
  '42501', 'new row violates row-level security policy for table "audit_log"',
  'audit_log: eve cannot append to org A''s trail');
reset role;

select results_eq(
  $$select org_id, actor, action from audit_log where id = 201$$,
  $$values ('0a000000-0000-4000-8000-000000000000'::uuid, 'user:a11ce000-0000-4000-8000-000000000000', 'org.create')$$,
  'audit_log: org A''s entry is unchanged after the attempts');
select results_eq(
  $$select count(*)::int from audit_log where org_id = '0a000000-0000-4000-8000-000000000000'$$,
  array[1],
  'audit_log: nothing was appended to org A''s trail');

-- Bob appends to his own org and at platform level: the refusals above are the policy.
set local role tenantry_app;
select set_config('app.user_id', 'b0b00000-0000-4000-8000-000000000000', true);
select lives_ok(
  $$insert into audit_log (org_id, actor, action)
    values ('0b000000-0000-4000-8000-000000000000', 'user:b0b00000-0000-4000-8000-000000000000', 'project.create')$$,
  'audit_log: bob can append to org B''s trail');
select lives_ok(
  $$insert into audit_log (org_id, actor, action)
    values (null, 'user:b0b00000-0000-4000-8000-000000000000', 'user.sign-in')$$,
  'audit_log: bob can append a platform-level entry');
select throws_ok(
  $$insert into audit_log (org_id, actor, action)
    values ('0b000000-0000-4000-8000-000000000000', 'user:a11ce000-0000-4000-8000-000000000000', 'forged')$$,
  '42501', 'new row violates row-level security policy for table "audit_log"',
  'audit_log: bob cannot append in alice''s name');
select throws_ok(
  $$insert into audit_log (org_id, actor, action) values (null, 'client:config-admin', 'forged')$$,
  '42501', 'new row violates row-level security policy for table "audit_log"',
  'audit_log: bob cannot append as a machine client');

-- Without a user context (a machine client): platform-level entries by a client only.
select set_config('app.user_id', '', true);
select lives_ok(
  $$insert into audit_log (org_id, actor, action) values (null, 'client:config-admin', 'config.update')$$,
  'audit_log: a machine client appends a platform-level entry');
select throws_ok(
  $$insert into audit_log (org_id, actor, action)
    values ('0a000000-0000-4000-8000-000000000000', 'client:config-admin', 'forged')$$,
  '42501', 'new row violates row-level security policy for table "audit_log"',
  'audit_log: a machine client cannot append to an org''s trail');

select * from finish();
ROLLBACK;
