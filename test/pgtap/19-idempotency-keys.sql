-- idempotency_keys: each user's own keys only.
BEGIN;
select plan(11);
\ir lib/world.sql

set local role tenantry_app;
select is_empty('select key from idempotency_keys', 'idempotency_keys: the app role without app.user_id sees none');
reset role;
set local role tenantry_owner;
select is_empty('select key from idempotency_keys', 'idempotency_keys: the table owner without context sees none (RLS is forced)');
reset role;

set local role tenantry_app;
select set_config('app.user_id', 'a11ce000-0000-4000-8000-000000000000', true);
select results_eq('select user_id, key from idempotency_keys order by key',
  $$values ('a11ce000-0000-4000-8000-000000000000'::uuid, 'key-a')$$,
  'idempotency_keys: alice sees her own key only');
select set_config('app.user_id', 'ada00000-0000-4000-8000-000000000000', true);
select is_empty('select key from idempotency_keys',
  'idempotency_keys: adam, who shares org A with alice, sees none of her keys');
select set_config('app.user_id', 'b0b00000-0000-4000-8000-000000000000', true);
select results_eq('select user_id, key from idempotency_keys order by key',
  $$values ('b0b00000-0000-4000-8000-000000000000'::uuid, 'key-b')$$,
  'idempotency_keys: bob sees his own key only');

-- Bob against alice's keys.
select throws_ok(
  $$insert into idempotency_keys (user_id, key, request_hash, expires_at)
    values ('a11ce000-0000-4000-8000-000000000000', 'planted', '\x66', now() + interval '1 day')$$,
  '42501', 'new row violates row-level security policy for table "idempotency_keys"',
  'idempotency_keys: bob cannot insert a key for alice');
select is_empty(
  $$update idempotency_keys set status = 'completed' where user_id = 'a11ce000-0000-4000-8000-000000000000' returning key$$,
  'idempotency_keys: bob''s update of alice''s key touches no row');
select is_empty(
  $$delete from idempotency_keys where user_id = 'a11ce000-0000-4000-8000-000000000000' returning key$$,
  'idempotency_keys: bob''s delete of alice''s key touches no row');
select throws_ok(
  $$update idempotency_keys set user_id = 'a11ce000-0000-4000-8000-000000000000' where key = 'key-b'$$,
  '42501', 'new row violates row-level security policy for table "idempotency_keys"',
  'idempotency_keys: bob cannot move his key to alice');
reset role;

select results_eq(
  $$select key, status from idempotency_keys where user_id = 'a11ce000-0000-4000-8000-000000000000'$$,
  $$values ('key-a', 'in_flight')$$,
  'idempotency_keys: alice''s key is unchanged after bob''s attempts');

-- Alice can complete her own: the zero rows above are the policy.
set local role tenantry_app;
select set_config('app.user_id', 'a11ce000-0000-4000-8000-000000000000', true);
select isnt_empty(
  $$update idempotency_keys set status = 'completed' where user_id = 'a11ce000-0000-4000-8000-000000000000' returning key$$,
  'idempotency_keys: alice can complete her own key');

select * from finish();
ROLLBACK;
