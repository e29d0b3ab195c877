-- chat_sessions: a chat is its own user's only (not even visible to the rest of its
-- org), opened in a project the user can see; the active-chat limit holds for the app role.
BEGIN;
select plan(17);
\ir lib/world.sql

set local role tenantry_app;
select is_empty('select id from chat_sessions', 'chat_sessions: the app role without app.user_id sees none');
reset role;
set local role tenantry_owner;
select is_empty('select id from chat_sessions', 'chat_sessions: the table owner without context sees none (RLS is forced)');
reset role;

set local role tenantry_app;
select set_config('app.user_id', 'a11ce000-0000-4000-8000-000000000000', true);
select results_eq('select id from chat_sessions order by id',
  array['ca000000-0000-4000-8000-000000000000']::uuid[],
  'chat_sessions: alice sees her own chat, not adam''s in the same project');
select set_config('app.user_id', 'ada00000-0000-4000-8000-000000000000', true);
select results_eq('select id from chat_sessions order by id',
  array['cad00000-0000-4000-8000-000000000000']::uuid[],
  'chat_sessions: adam sees his own chat only');
select set_config('app.user_id', 'b0b00000-0000-4000-8000-000000000000', true);
select results_eq('select id from chat_sessions order by id',
  array['cb000000-0000-4000-8000-000000000000']::uuid[],
  'chat_sessions: bob sees his own chat only');
select set_config('app.user_id', 'e5e00000-0000-4000-8000-000000000000', true);
select is_empty('select id from chat_sessions', 'chat_sessions: eve sees none');

-- Bob against alice and org A.
select set_config('app.user_id', 'b0b00000-0000-4000-8000-000000000000', true);
select throws_ok(
  $$insert into chat_sessions (user_id, project_id, expires_at)
    values ('a11ce000-0000-4000-8000-000000000000', '9a000000-0000-4000-8000-000000000000', now() + interval '30 minutes')$$,
  '42501', 'new row violates row-level security policy for table "chat_sessions"',
  'chat_sessions: bob cannot open a chat for alice');
select throws_ok(
  $$insert into chat_sessions (user_id, project_id, expires_at)
    values ('b0b00000-0000-4000-8000-000000000000', '9a000000-0000-4000-8000-000000000000', now() + interval '30 minutes')$$,
  '42501', 'new row violates row-level security policy for table "chat_sessions"',
  'chat_sessions: bob cannot open his own chat in a project of org A');
select is_empty(
  $$update chat_sessions set status = 'closed' where id = 'ca000000-0000-4000-8000-000000000000' returning id$$,
  'chat_sessions: bob''s update of alice''s chat touches no row');
select is_empty(
  $$delete from chat_sessions where id = 'ca000000-0000-4000-8000-000000000000' returning id$$,
  'chat_sessions: bob''s delete of alice''s chat touches no row');
select throws_ok(
  $$update chat_sessions set user_id = 'a11ce000-0000-4000-8000-000000000000' where id = 'cb000000-0000-4000-8000-000000000000'$$,
  '42501', 'new row violates row-level security policy for table "chat_sessions"',
  'chat_sessions: bob cannot hand his chat to alice');
select throws_ok(
  $$update chat_sessions set project_id = '9a000000-0000-4000-8000-000000000000' where id = 'cb000000-0000-4000-8000-000000000000'$$,
  '42501', 'new row violates row-level security policy for table "chat_sessions"',
  'chat_sessions: bob cannot move his chat into a project of org A');

-- Adam shares alice's org and project, but not her chat.
select set_config('app.user_id', 'ada00000-0000-4000-8000-000000000000', true);
select is_empty(
  $$update chat_sessions set status = 'closed' where id = 'ca000000-0000-4000-8000-000000000000' returning id$$,
  'chat_sessions: adam''s update of alice''s chat in their shared project touches no row');
reset role;

select results_eq(
  $$select user_id, project_id, status from chat_sessions where id = 'ca000000-0000-4000-8000-000000000000'$$,
  $$values ('a11ce000-0000-4000-8000-000000000000'::uuid, '9a000000-0000-4000-8000-000000000000'::uuid, 'active')$$,
  'chat_sessions: alice''s chat is unchanged after the attempts');

-- Alice opens more chats in project A: allowed up to the limit (3 by default, she has 1).
set local role tenantry_app;
select set_config('app.user_id', 'a11ce000-0000-4000-8000-000000000000', true);
select lives_ok(
  $$insert into chat_sessions (user_id, project_id, expires_at)
    values ('a11ce000-0000-4000-8000-000000000000', '9a000000-0000-4000-8000-000000000000', now() + interval '30 minutes')$$,
  'chat_sessions: alice can open a second chat in her project');
select lives_ok(
  $$insert into chat_sessions (user_id, project_id, expires_at)
    values ('a11ce000-0000-4000-8000-000000000000', '9a000000-0000-4000-8000-000000000000', now() + interval '30 minutes')$$,
  'chat_sessions: alice can open a third chat in her project');
select throws_ok(
  $$insert into chat_sessions (user_id, project_id, expires_at)
    values ('a11ce000-0000-4000-8000-000000000000', '9a000000-0000-4000-8000-000000000000', now() + interval '30 minutes')$$,
  '23514', 'at most 3 active chats per user per project',
  'chat_sessions: a fourth active chat of alice in the same project is refused');

select * from finish();
ROLLBACK;
