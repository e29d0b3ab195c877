-- service_configs and config_history: platform-wide, not tenant data. The app role reads
-- both without any context; config_history is append-only for everyone the app can be.
BEGIN;
select plan(12);

set local role tenantry_app;
select results_eq('select service from service_configs order by service',
  array['auth', 'chat', 'features', 'projects', 'ratelimits'],
  'service_configs: the app role reads every service''s config without a tenant context');
select results_eq('select service, version from config_history order by service, version',
  $$values ('auth', 1), ('chat', 1), ('features', 1), ('projects', 1), ('ratelimits', 1)$$,
  'config_history: the app role reads the history without a tenant context');

-- Append-only: no UPDATE, DELETE or TRUNCATE grant for the app role.
select throws_ok($$update config_history set data = '{}' where service = 'chat'$$,
  '42501', 'permission denied for table config_history',
  'config_history: the app role cannot update history');
select throws_ok($$delete from config_history where service = 'chat'$$,
  '42501', 'permission denied for table config_history',
  'config_history: the app role cannot delete history');
select throws_ok('truncate config_history',
  '42501', 'permission denied for table config_history',
  'config_history: the app role cannot truncate history');
select throws_ok($$delete from service_configs where service = 'chat'$$,
  '42501', 'permission denied for table service_configs',
  'service_configs: the app role cannot delete a service''s config');

-- asSystem() switches the app to tenantry_system: append-only there too.
set local role tenantry_system;
select throws_ok($$update config_history set data = '{}' where service = 'chat'$$,
  '42501', 'permission denied for table config_history',
  'config_history: tenantry_system (asSystem) cannot update history');
select throws_ok($$delete from config_history where service = 'chat'$$,
  '42501', 'permission denied for table config_history',
  'config_history: tenantry_system (asSystem) cannot delete history');
reset role;

-- Even the table owner, who holds every privilege, finds no UPDATE policy to pass.
set local role tenantry_owner;
select is_empty($$update config_history set data = '{}' where service = 'chat' returning id$$,
  'config_history: the table owner''s update touches no row (no UPDATE policy, RLS forced)');
reset role;

select results_eq(
  $$select count(*)::int, bool_and(data <> '{}') from config_history$$,
  $$values (5, true)$$,
  'config_history: every history row is unchanged after the attempts');

-- Appending and reading the current config work: the refusals above are the grants.
set local role tenantry_app;
select lives_ok(
  $$insert into config_history (service, version, data, updated_by)
    values ('chat', 2, '{"max_active_chats_per_user_per_project": 3}', 'pgtap')$$,
  'config_history: the app role can append a version');
select isnt_empty(
  $$update service_configs set version = 2 where service = 'chat' returning version$$,
  'service_configs: the app role can bump a config''s version');

select * from finish();
ROLLBACK;
