-- projects: visible to the members of their org; created, changed and deleted by its
-- admins and owners.
BEGIN;
select plan(14);
\ir lib/world.sql

set local role tenantry_app;
select is_empty('select id from projects', 'projects: the app role without app.user_id sees none');
reset role;
set local role tenantry_owner;
select is_empty('select id from projects', 'projects: the table owner without context sees none (RLS is forced)');
reset role;

set local role tenantry_app;
select set_config('app.user_id', 'a11ce000-0000-4000-8000-000000000000', true);
select results_eq('select id from projects order by id',
  array['9a000000-0000-4000-8000-000000000000']::uuid[],
  'projects: alice sees org A''s project only');
select set_config('app.user_id', 'ada00000-0000-4000-8000-000000000000', true);
select results_eq('select id from projects order by id',
  array['9a000000-0000-4000-8000-000000000000']::uuid[],
  'projects: adam, a plain member of org A, sees org A''s project only');
select set_config('app.user_id', 'b0b00000-0000-4000-8000-000000000000', true);
select results_eq('select id from projects order by id',
  array['9b000000-0000-4000-8000-000000000000']::uuid[],
  'projects: bob sees org B''s project only');
select set_config('app.user_id', 'e5e00000-0000-4000-8000-000000000000', true);
select is_empty('select id from projects', 'projects: eve, in no org, sees none');

-- Bob against org A.
select set_config('app.user_id', 'b0b00000-0000-4000-8000-000000000000', true);
select throws_ok(
  $$insert into projects (org_id, name) values ('0a000000-0000-4000-8000-000000000000', 'Planted')$$,
  '42501', 'new row violates row-level security policy for table "projects"',
  'projects: bob cannot create a project in org A');
select is_empty(
  $$update projects set description = 'defaced' where id = '9a000000-0000-4000-8000-000000000000' returning id$$,
  'projects: bob''s update of org A''s project touches no row');
select is_empty(
  $$delete from projects where id = '9a000000-0000-4000-8000-000000000000' returning id$$,
  'projects: bob''s delete of org A''s project touches no row');
select throws_ok(
  $$update projects set org_id = '0a000000-0000-4000-8000-000000000000' where id = '9b000000-0000-4000-8000-000000000000'$$,
  '42501', 'new row violates row-level security policy for table "projects"',
  'projects: bob cannot move his project into org A');

-- Adam is in org A, but not an admin.
select set_config('app.user_id', 'ada00000-0000-4000-8000-000000000000', true);
select throws_ok(
  $$insert into projects (org_id, name) values ('0a000000-0000-4000-8000-000000000000', 'By a member')$$,
  '42501', 'new row violates row-level security policy for table "projects"',
  'projects: a plain member cannot create a project (admins only)');

-- Alice cannot push her project out into bob's org either.
select set_config('app.user_id', 'a11ce000-0000-4000-8000-000000000000', true);
select throws_ok(
  $$update projects set org_id = '0b000000-0000-4000-8000-000000000000' where id = '9a000000-0000-4000-8000-000000000000'$$,
  '42501', 'new row violates row-level security policy for table "projects"',
  'projects: alice cannot move org A''s project into org B');
reset role;

select results_eq(
  $$select org_id, name::text, description from projects where id = '9a000000-0000-4000-8000-000000000000'$$,
  $$values ('0a000000-0000-4000-8000-000000000000'::uuid, 'Project A', '')$$,
  'projects: org A''s project is unchanged after the attempts');

-- Alice, the owner, can change it: the zero rows above are the policy.
set local role tenantry_app;
select set_config('app.user_id', 'a11ce000-0000-4000-8000-000000000000', true);
select isnt_empty(
  $$update projects set description = 'edited' where id = '9a000000-0000-4000-8000-000000000000' returning id$$,
  'projects: alice, the owner, can change org A''s project');

select * from finish();
ROLLBACK;
