-- orgs: members see their orgs; admins update; owners delete; the app role cannot
-- create an org at all (creation is a saga step run through asSystem).
BEGIN;
select plan(14);
\ir lib/world.sql

set local role tenantry_app;
select is_empty('select id from orgs', 'orgs: the app role without app.user_id sees none');
reset role;
set local role tenantry_owner;
select is_empty('select id from orgs', 'orgs: the table owner without context sees none (RLS is forced)');
reset role;

set local role tenantry_app;
select set_config('app.user_id', 'a11ce000-0000-4000-8000-000000000000', true);
select results_eq('select id from orgs order by id',
  array['0a000000-0000-4000-8000-000000000000']::uuid[],
  'orgs: alice, its owner, sees org A only');
select set_config('app.user_id', 'ada00000-0000-4000-8000-000000000000', true);
select results_eq('select id from orgs order by id',
  array['0a000000-0000-4000-8000-000000000000']::uuid[],
  'orgs: adam, a plain member, sees org A only');
select set_config('app.user_id', 'b0b00000-0000-4000-8000-000000000000', true);
select results_eq('select id from orgs order by id',
  array['0b000000-0000-4000-8000-000000000000']::uuid[],
  'orgs: bob sees org B only');
select set_config('app.user_id', 'e5e00000-0000-4000-8000-000000000000', true);
select is_empty('select id from orgs', 'orgs: eve, in no org, sees none');

-- No INSERT for the app role, whoever asks.
select set_config('app.user_id', 'b0b00000-0000-4000-8000-000000000000', true);
select throws_ok(
  $$insert into orgs (name, status, created_by) values ('Sneaky', 'committed', 'b0b00000-0000-4000-8000-000000000000')$$,
  '42501', 'permission denied for table orgs',
  'orgs: the app role cannot insert an org');

-- Bob against org A.
select is_empty(
  $$update orgs set name = 'Taken over' where id = '0a000000-0000-4000-8000-000000000000' returning id$$,
  'orgs: bob''s update of org A touches no row');
select is_empty(
  $$delete from orgs where id = '0a000000-0000-4000-8000-000000000000' returning id$$,
  'orgs: bob''s delete of org A touches no row');

-- Adam is a member of org A, but neither admin nor owner.
select set_config('app.user_id', 'ada00000-0000-4000-8000-000000000000', true);
select is_empty(
  $$update orgs set name = 'Adam''s now' where id = '0a000000-0000-4000-8000-000000000000' returning id$$,
  'orgs: a plain member''s update of his org touches no row (admins only)');
select is_empty(
  $$delete from orgs where id = '0a000000-0000-4000-8000-000000000000' returning id$$,
  'orgs: a plain member''s delete of his org touches no row (owners only)');
reset role;

select results_eq(
  $$select name::text, status from orgs where id = '0a000000-0000-4000-8000-000000000000'$$,
  $$values ('Org A', 'committed')$$,
  'orgs: org A is unchanged after bob''s and adam''s attempts');

-- Alice, the owner, can: the zero rows above are the policy, not a wrong statement.
set local role tenantry_app;
select set_config('app.user_id', 'a11ce000-0000-4000-8000-000000000000', true);
select isnt_empty(
  $$update orgs set name = 'Org A renamed' where id = '0a000000-0000-4000-8000-000000000000' returning id$$,
  'orgs: alice, the owner, can rename org A');
select isnt_empty(
  $$delete from orgs where id = '0a000000-0000-4000-8000-000000000000' returning id$$,
  'orgs: alice, the owner, can delete org A');

select * from finish();
ROLLBACK;
