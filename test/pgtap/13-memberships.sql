-- memberships: members see their orgs' member lists; owners change roles (the role
-- column only); admins remove members and anyone may leave. Nobody joins by a direct
-- INSERT: joining goes through an invite or the org saga (asSystem).
BEGIN;
select plan(16);
\ir lib/world.sql

set local role tenantry_app;
select is_empty('select org_id from memberships', 'memberships: the app role without app.user_id sees none');
reset role;
set local role tenantry_owner;
select is_empty('select org_id from memberships', 'memberships: the table owner without context sees none (RLS is forced)');
reset role;

set local role tenantry_app;
select set_config('app.user_id', 'a11ce000-0000-4000-8000-000000000000', true);
select results_eq(
  'select org_id, user_id, role from memberships order by user_id',
  $$values ('0a000000-0000-4000-8000-000000000000'::uuid, 'a11ce000-0000-4000-8000-000000000000'::uuid, 'owner'),
           ('0a000000-0000-4000-8000-000000000000'::uuid, 'ada00000-0000-4000-8000-000000000000'::uuid, 'member')$$,
  'memberships: alice sees org A''s two memberships and none of org B');
select set_config('app.user_id', 'ada00000-0000-4000-8000-000000000000', true);
select results_eq(
  'select org_id, user_id, role from memberships order by user_id',
  $$values ('0a000000-0000-4000-8000-000000000000'::uuid, 'a11ce000-0000-4000-8000-000000000000'::uuid, 'owner'),
           ('0a000000-0000-4000-8000-000000000000'::uuid, 'ada00000-0000-4000-8000-000000000000'::uuid, 'member')$$,
  'memberships: adam, a plain member, sees org A''s member list too');
select set_config('app.user_id', 'b0b00000-0000-4000-8000-000000000000', true);
select results_eq(
  'select org_id, user_id, role from memberships order by user_id',
  $$values ('0b000000-0000-4000-8000-000000000000'::uuid, 'b0b00000-0000-4000-8000-000000000000'::uuid, 'owner')$$,
  'memberships: bob sees org B''s membership only');
select set_config('app.user_id', 'e5e00000-0000-4000-8000-000000000000', true);
select is_empty('select org_id from memberships', 'memberships: eve, in no org, sees none');

-- Bob against org A.
select set_config('app.user_id', 'b0b00000-0000-4000-8000-000000000000', true);
select throws_ok(
  $$insert into memberships (org_id, user_id, role)
    values ('0a000000-0000-4000-8000-000000000000', 'b0b00000-0000-4000-8000-000000000000', 'owner')$$,
  '42501', 'permission denied for table memberships',
  'memberships: bob cannot make himself an owner of org A');
select is_empty(
  $$update memberships set role = 'member' where org_id = '0a000000-0000-4000-8000-000000000000' returning user_id$$,
  'memberships: bob''s update of org A''s memberships touches no row');
select is_empty(
  $$delete from memberships where org_id = '0a000000-0000-4000-8000-000000000000' returning user_id$$,
  'memberships: bob''s delete of org A''s memberships touches no row');
select throws_ok(
  $$update memberships set org_id = '0a000000-0000-4000-8000-000000000000'
     where org_id = '0b000000-0000-4000-8000-000000000000' and user_id = 'b0b00000-0000-4000-8000-000000000000'$$,
  '42501', 'permission denied for table memberships',
  'memberships: bob cannot move his membership into org A (only the role column is writable)');

-- Adam is in org A, but only a member.
select set_config('app.user_id', 'ada00000-0000-4000-8000-000000000000', true);
select throws_ok(
  $$insert into memberships (org_id, user_id, role)
    values ('0a000000-0000-4000-8000-000000000000', 'e5e00000-0000-4000-8000-000000000000', 'member')$$,
  '42501', 'permission denied for table memberships',
  'memberships: a plain member cannot add someone to his org');
select is_empty(
  $$update memberships set role = 'owner' where user_id = 'ada00000-0000-4000-8000-000000000000' returning user_id$$,
  'memberships: a plain member cannot promote himself (owners only)');
reset role;

select results_eq(
  $$select org_id, user_id, role from memberships order by org_id, user_id$$,
  $$values ('0a000000-0000-4000-8000-000000000000'::uuid, 'a11ce000-0000-4000-8000-000000000000'::uuid, 'owner'),
           ('0a000000-0000-4000-8000-000000000000'::uuid, 'ada00000-0000-4000-8000-000000000000'::uuid, 'member'),
           ('0b000000-0000-4000-8000-000000000000'::uuid, 'b0b00000-0000-4000-8000-000000000000'::uuid, 'owner')$$,
  'memberships: every membership is unchanged after bob''s and adam''s attempts');

-- Alice, the owner, can change a role: the zero rows above are the policy.
set local role tenantry_app;
select set_config('app.user_id', 'a11ce000-0000-4000-8000-000000000000', true);
select isnt_empty(
  $$update memberships set role = 'admin' where user_id = 'ada00000-0000-4000-8000-000000000000' returning user_id$$,
  'memberships: alice, the owner, can promote adam');
select throws_ok(
  $$insert into memberships (org_id, user_id, role)
    values ('0a000000-0000-4000-8000-000000000000', 'e5e00000-0000-4000-8000-000000000000', 'member')$$,
  '42501', 'permission denied for table memberships',
  'memberships: even the owner cannot pull eve into org A without an invite');
select throws_ok(
  $$update memberships set user_id = 'e5e00000-0000-4000-8000-000000000000'
     where user_id = 'ada00000-0000-4000-8000-000000000000'$$,
  '42501', 'permission denied for table memberships',
  'memberships: the owner cannot rewrite a membership into another user''s');

select * from finish();
ROLLBACK;
