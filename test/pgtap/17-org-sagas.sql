-- org_sagas and org_saga_steps: the saga log is readable by whoever started the saga;
-- the app role has SELECT only (the saga writes through asSystem).
BEGIN;
select plan(18);
\ir lib/world.sql

select has_index('public', 'org_sagas', 'org_sagas_pending_created_at_idx', array['created_at'],
  'org_sagas: saga recovery finds pending sagas by an index');

set local role tenantry_app;
select is_empty('select id from org_sagas', 'org_sagas: the app role without app.user_id sees none');
select is_empty('select id from org_saga_steps', 'org_saga_steps: the app role without app.user_id sees none');
reset role;
set local role tenantry_owner;
select is_empty('select id from org_sagas', 'org_sagas: the table owner without context sees none (RLS is forced)');
select is_empty('select id from org_saga_steps', 'org_saga_steps: the table owner without context sees none (RLS is forced)');
reset role;

set local role tenantry_app;
select set_config('app.user_id', 'a11ce000-0000-4000-8000-000000000000', true);
select results_eq('select id from org_sagas order by id',
  array['5a000000-0000-4000-8000-000000000000']::uuid[],
  'org_sagas: alice sees the saga she started only');
select results_eq('select id from org_saga_steps order by id', array[101]::bigint[],
  'org_saga_steps: alice sees the steps of her saga only');
select set_config('app.user_id', 'ada00000-0000-4000-8000-000000000000', true);
select is_empty('select id from org_sagas', 'org_sagas: adam, a member of org A who did not start its saga, sees none');
select is_empty('select id from org_saga_steps', 'org_saga_steps: adam sees none');
select set_config('app.user_id', 'b0b00000-0000-4000-8000-000000000000', true);
select results_eq('select id from org_sagas order by id',
  array['5b000000-0000-4000-8000-000000000000']::uuid[],
  'org_sagas: bob sees the saga he started only');
select results_eq('select id from org_saga_steps order by id', array[102]::bigint[],
  'org_saga_steps: bob sees the steps of his saga only');

-- Writes: the app role has no grant for any of them, whoever's row it is.
select throws_ok(
  $$insert into org_sagas (org_id, started_by) values ('0a000000-0000-4000-8000-000000000000', 'b0b00000-0000-4000-8000-000000000000')$$,
  '42501', 'permission denied for table org_sagas',
  'org_sagas: the app role cannot insert a saga');
select throws_ok(
  $$update org_sagas set status = 'failed' where id = '5a000000-0000-4000-8000-000000000000'$$,
  '42501', 'permission denied for table org_sagas',
  'org_sagas: the app role cannot update a saga');
select throws_ok(
  $$delete from org_sagas where id = '5a000000-0000-4000-8000-000000000000'$$,
  '42501', 'permission denied for table org_sagas',
  'org_sagas: the app role cannot delete a saga');
select throws_ok(
  $$insert into org_saga_steps (saga_id, step, phase, outcome)
    values ('5a000000-0000-4000-8000-000000000000', 'forged', 'apply', 'succeeded')$$,
  '42501', 'permission denied for table org_saga_steps',
  'org_saga_steps: the app role cannot insert a step');
select throws_ok(
  $$update org_saga_steps set outcome = 'failed' where id = 101$$,
  '42501', 'permission denied for table org_saga_steps',
  'org_saga_steps: the app role cannot update a step');
select throws_ok(
  $$delete from org_saga_steps where id = 101$$,
  '42501', 'permission denied for table org_saga_steps',
  'org_saga_steps: the app role cannot delete a step');
reset role;

select results_eq(
  $$select s.status, t.step, t.outcome from org_sagas s join org_saga_steps t on t.saga_id = s.id
     where s.id = '5a000000-0000-4000-8000-000000000000'$$,
  $$values ('committed', 'create-org', 'succeeded')$$,
  'org_sagas: alice''s saga and its step are unchanged after the attempts');

select * from finish();
ROLLBACK;
