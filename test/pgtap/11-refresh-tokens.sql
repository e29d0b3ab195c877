-- refresh_tokens: each user's own tokens only (policy refresh_tokens_own), not even
-- the people who share an org with them.
BEGIN;
select plan(11);
\ir lib/world.sql

set local role tenantry_app;
select is_empty('select id from refresh_tokens', 'refresh_tokens: the app role without app.user_id sees none');
reset role;
set local role tenantry_owner;
select is_empty('select id from refresh_tokens', 'refresh_tokens: the table owner without context sees none (RLS is forced)');
reset role;

set local role tenantry_app;
select set_config('app.user_id', 'a11ce000-0000-4000-8000-000000000000', true);
select results_eq(
  'select id from refresh_tokens order by id',
  array['7a000000-0000-4000-8000-000000000000']::uuid[],
  'refresh_tokens: alice sees her own token only');
select set_config('app.user_id', 'ada00000-0000-4000-8000-000000000000', true);
select results_eq(
  'select id from refresh_tokens order by id',
  array['7ad00000-0000-4000-8000-000000000000']::uuid[],
  'refresh_tokens: adam sees his own token, not alice''s although they share org A');
select set_config('app.user_id', 'b0b00000-0000-4000-8000-000000000000', true);
select results_eq(
  'select id from refresh_tokens order by id',
  array['7b000000-0000-4000-8000-000000000000']::uuid[],
  'refresh_tokens: bob sees his own token only');

-- Bob against alice's tokens.
select throws_ok(
  $$insert into refresh_tokens (user_id, family_id, token_hash, expires_at)
    values ('a11ce000-0000-4000-8000-000000000000', gen_random_uuid(), '\x66', now() + interval '1 day')$$,
  '42501', 'new row violates row-level security policy for table "refresh_tokens"',
  'refresh_tokens: bob cannot insert a token for alice');
select is_empty(
  $$update refresh_tokens set revoked_at = now() where id = '7a000000-0000-4000-8000-000000000000' returning id$$,
  'refresh_tokens: bob''s update of alice''s token touches no row');
select is_empty(
  $$delete from refresh_tokens where id = '7a000000-0000-4000-8000-000000000000' returning id$$,
  'refresh_tokens: bob''s delete of alice''s token touches no row');
select throws_ok(
  $$update refresh_tokens set user_id = 'a11ce000-0000-4000-8000-000000000000' where id = '7b000000-0000-4000-8000-000000000000'$$,
  '42501', 'new row violates row-level security policy for table "refresh_tokens"',
  'refresh_tokens: bob cannot move his token to alice');

reset role;

select results_eq(
  $$select user_id, revoked_at from refresh_tokens where id = '7a000000-0000-4000-8000-000000000000'$$,
  $$values ('a11ce000-0000-4000-8000-000000000000'::uuid, null::timestamptz)$$,
  'refresh_tokens: alice''s token is unchanged after bob''s attempts');

-- Alice may revoke her own: the zero rows above are the policy, not a wrong statement.
set local role tenantry_app;
select set_config('app.user_id', 'a11ce000-0000-4000-8000-000000000000', true);
select isnt_empty(
  $$update refresh_tokens set revoked_at = now() where id = '7a000000-0000-4000-8000-000000000000' returning id$$,
  'refresh_tokens: alice can revoke her own token');

select * from finish();
ROLLBACK;
