-- users: you see yourself and the people who share an org with you; the app role may
-- only insert yourself, and has no UPDATE or DELETE grant at all.
BEGIN;
select plan(12);
\ir lib/world.sql

-- No tenant context: nothing, for the app role and for the table owner (RLS is forced).
set local role tenantry_app;
select is_empty('select id from users', 'users: the app role without app.user_id sees no user');
select set_config('app.user_id', '', true);
select is_empty('select id from users', 'users: an empty app.user_id sees no user');
reset role;
set local role tenantry_owner;
select is_empty('select id from users', 'users: the table owner without context sees no user (RLS is forced)');
reset role;

-- Visibility: yourself and your orgs' members, nobody else.
set local role tenantry_app;
select set_config('app.user_id', 'a11ce000-0000-4000-8000-000000000000', true);
select results_eq(
  'select id from users order by id',
  array['a11ce000-0000-4000-8000-000000000000', 'ada00000-0000-4000-8000-000000000000']::uuid[],
  'users: alice sees herself and adam, who shares org A, and not bob or eve');
select set_config('app.user_id', 'ada00000-0000-4000-8000-000000000000', true);
select results_eq(
  'select id from users order by id',
  array['a11ce000-0000-4000-8000-000000000000', 'ada00000-0000-4000-8000-000000000000']::uuid[],
  'users: adam, a plain member, sees alice and himself');
select set_config('app.user_id', 'b0b00000-0000-4000-8000-000000000000', true);
select results_eq(
  'select id from users order by id',
  array['b0b00000-0000-4000-8000-000000000000']::uuid[],
  'users: bob, who shares no org with them, sees only himself');
select set_config('app.user_id', 'e5e00000-0000-4000-8000-000000000000', true);
select results_eq(
  'select id from users order by id',
  array['e5e00000-0000-4000-8000-000000000000']::uuid[],
  'users: eve, in no org, sees only herself');

-- Writes as bob: he may not create someone else, nor change or remove alice.
select set_config('app.user_id', 'b0b00000-0000-4000-8000-000000000000', true);
select throws_ok(
  $$insert into users (id, handle) values ('f0000000-0000-4000-8000-000000000000', 'guest-9001')$$,
  '42501', 'new row violates row-level security policy for table "users"',
  'users: bob cannot insert a user other than himself');
select throws_ok(
  $$update users set handle = 'guest-6666' where id = 'a11ce000-0000-4000-8000-000000000000'$$,
  '42501', 'permission denied for table users',
  'users: the app role cannot update users at all');
select throws_ok(
  $$delete from users where id = 'a11ce000-0000-4000-8000-000000000000'$$,
  '42501', 'permission denied for table users',
  'users: the app role cannot delete users at all');

-- The user whose id is the context may insert itself: the refusals above are the policy.
select set_config('app.user_id', 'f0000000-0000-4000-8000-000000000000', true);
select lives_ok(
  $$insert into users (id, handle) values ('f0000000-0000-4000-8000-000000000000', 'guest-9001')$$,
  'users: a new user may insert itself');
reset role;

select results_eq(
  $$select handle from users where id = 'a11ce000-0000-4000-8000-000000000000'$$,
  array['guest-1001'],
  'users: alice''s row is unchanged after bob''s attempts');

select * from finish();
ROLLBACK;
