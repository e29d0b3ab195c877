-- invites: visible to and written by the admins and owners of their org only; plain
-- members see none.
BEGIN;
select plan(12);
\ir lib/world.sql

set local role tenantry_app;
select is_empty('select id from invites', 'invites: the app role without app.user_id sees none');
reset role;
set local role tenantry_owner;
select is_empty('select id from invites', 'invites: the table owner without context sees none (RLS is forced)');
reset role;

set local role tenantry_app;
select set_config('app.user_id', 'a11ce000-0000-4000-8000-000000000000', true);
select results_eq('select id from invites order by id',
  array['1a000000-0000-4000-8000-000000000000']::uuid[],
  'invites: alice, owner of org A, sees org A''s invite only');
select set_config('app.user_id', 'ada00000-0000-4000-8000-000000000000', true);
select is_empty('select id from invites', 'invites: adam, a plain member of org A, sees none (admins only)');
select set_config('app.user_id', 'b0b00000-0000-4000-8000-000000000000', true);
select results_eq('select id from invites order by id',
  array['1b000000-0000-4000-8000-000000000000']::uuid[],
  'invites: bob sees org B''s invite only');

-- Bob against org A.
select throws_ok(
  $$insert into invites (org_id, code_hash, created_by, expires_at)
    values ('0a000000-0000-4000-8000-000000000000', '\x66', 'b0b00000-0000-4000-8000-000000000000', now() + interval '1 day')$$,
  '42501', 'new row violates row-level security policy for table "invites"',
  'invites: bob cannot create an invite into org A');
select is_empty(
  $$update invites set role = 'admin' where id = '1a000000-0000-4000-8000-000000000000' returning id$$,
  'invites: bob''s update of org A''s invite touches no row');
select is_empty(
  $$delete from invites where id = '1a000000-0000-4000-8000-000000000000' returning id$$,
  'invites: bob''s delete of org A''s invite touches no row');
select throws_ok(
  $$update invites set org_id = '0a000000-0000-4000-8000-000000000000' where id = '1b000000-0000-4000-8000-000000000000'$$,
  '42501', 'new row violates row-level security policy for table "invites"',
  'invites: bob cannot move org B''s invite into org A');

-- Adam is in org A, but not an admin.
select set_config('app.user_id', 'ada00000-0000-4000-8000-000000000000', true);
select throws_ok(
  $$insert into invites (org_id, code_hash, created_by, expires_at)
    values ('0a000000-0000-4000-8000-000000000000', '\x67', 'ada00000-0000-4000-8000-000000000000', now() + interval '1 day')$$,
  '42501', 'new row violates row-level security policy for table "invites"',
  'invites: a plain member cannot create an invite (admins only)');
reset role;

select results_eq(
  $$select org_id, role, used_at from invites where id = '1a000000-0000-4000-8000-000000000000'$$,
  $$values ('0a000000-0000-4000-8000-000000000000'::uuid, 'member', null::timestamptz)$$,
  'invites: org A''s invite is unchanged after bob''s attempts');

-- Alice, the owner, can: the zero rows above are the policy.
set local role tenantry_app;
select set_config('app.user_id', 'a11ce000-0000-4000-8000-000000000000', true);
select isnt_empty(
  $$update invites set role = 'admin' where id = '1a000000-0000-4000-8000-000000000000' returning id$$,
  'invites: alice, the owner, can change org A''s invite');

select * from finish();
ROLLBACK;
