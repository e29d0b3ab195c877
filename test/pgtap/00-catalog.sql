-- Catalog checks: RLS on every table, what the app role is and is not, SECURITY DEFINER
-- hygiene, views, the chat limit trigger and the append-only tables. Each check lists the
-- offending objects, so a failure names them.
BEGIN;
select plan(22);

-- Row-level security, enabled and forced, on every table of the app schema.
select is_empty($$
  select c.relname from pg_class c
   where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
     and not c.relrowsecurity$$,
  'every table in public has row-level security enabled');
select is_empty($$
  select c.relname from pg_class c
   where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
     and not c.relforcerowsecurity$$,
  'every table in public has row-level security forced (the owner is filtered too)');
select is_empty($$
  select t from unnest(array['users', 'refresh_tokens', 'orgs', 'memberships', 'invites',
    'projects', 'chat_sessions', 'service_configs', 'config_history', 'org_sagas',
    'org_saga_steps', 'audit_log', 'idempotency_keys']) t
  except
  select c.relname::text from pg_class c
   where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')$$,
  'the two checks above did look at every known table (none is missing from public)');
select is_empty($$
  select p.tablename, p.policyname from pg_policies p
   where p.schemaname = 'public'
     and regexp_count(coalesce(p.qual, '') || coalesce(p.with_check, ''), 'current_setting\(')
      <> regexp_count(coalesce(p.qual, '') || coalesce(p.with_check, ''),
                      'SELECT \(*(NULLIF\()?current_setting\(')$$,
  'every policy reads current_setting() through a subselect (evaluated once per statement)');

-- The app role: not superuser, no BYPASSRLS, no CREATEROLE.
select is((select rolsuper from pg_roles where rolname = 'tenantry_app'), false,
  'tenantry_app is not a superuser');
select is((select rolbypassrls from pg_roles where rolname = 'tenantry_app'), false,
  'tenantry_app does not have BYPASSRLS');
select is((select rolcreaterole from pg_roles where rolname = 'tenantry_app'), false,
  'tenantry_app cannot create roles or grant memberships');

-- …owns nothing in this database (nor any shared object such as a database)…
select is_empty($$
  select 'table ' || c.oid::regclass::text from pg_class c where c.relowner = 'tenantry_app'::regrole
  union all
  select 'function ' || p.oid::regprocedure::text from pg_proc p where p.proowner = 'tenantry_app'::regrole
  union all
  select 'schema ' || n.nspname::text from pg_namespace n where n.nspowner = 'tenantry_app'::regrole
  union all
  select 'type ' || t.oid::regtype::text from pg_type t where t.typowner = 'tenantry_app'::regrole$$,
  'tenantry_app owns no table, view, sequence, function, schema or type');
select is_empty($$
  select d.classid::regclass, d.objid from pg_shdepend d
   where d.refclassid = 'pg_authid'::regclass and d.refobjid = 'tenantry_app'::regrole
     and d.deptype = 'o'
     and d.dbid in (0, (select oid from pg_database where datname = current_database()))$$,
  'tenantry_app owns no object of any other kind either (pg_shdepend)');
-- …cannot become a role that does (the owner could turn RLS off), nor a superuser…
select is_empty($$
  select r.rolname from pg_roles r
   where r.rolname <> 'tenantry_app' and pg_has_role('tenantry_app', r.oid, 'MEMBER')
     and (r.rolsuper or exists (
       select 1 from pg_shdepend d
        where d.refclassid = 'pg_authid'::regclass and d.refobjid = r.oid and d.deptype = 'o'
          and d.dbid in (0, (select oid from pg_database where datname = current_database()))))$$,
  'tenantry_app is not a member of any role that owns objects here or is a superuser');
-- …and cannot create objects, nor reach schemas other than public.
select is_empty($$
  select n.nspname from pg_namespace n
   where n.nspname !~ '^pg_(toast_)?temp_' -- every session's own temporary schemas
     and has_schema_privilege('tenantry_app', n.oid, 'CREATE')$$,
  'tenantry_app may create objects in no schema');
select is_empty($$
  select n.nspname from pg_namespace n
   where n.nspname not in ('public', 'pg_catalog', 'information_schema')
     and n.nspname !~ '^pg_(toast|temp_)'
     and has_schema_privilege('tenantry_app', n.oid, 'USAGE')$$,
  'tenantry_app has USAGE on no schema of ours other than public');

-- SECURITY DEFINER functions: pinned search_path, no EXECUTE for PUBLIC.
select is_empty($$
  select p.oid::regprocedure from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where p.prosecdef
     and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_toast'
     and not exists (select 1 from unnest(p.proconfig) c where c like 'search\_path=%')$$,
  'every SECURITY DEFINER function pins its search_path');
select is_empty($$
  select p.oid::regprocedure from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where p.prosecdef
     and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_toast'
     and exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                  where a.grantee = 0 and a.privilege_type = 'EXECUTE')$$,
  'no SECURITY DEFINER function is executable by PUBLIC');
select is_empty($$
  select f from unnest(array['app_user_org_ids()', 'app_user_org_ids_with_role(text)',
    'app_peer_user_ids()']) f
  except
  select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where p.prosecdef and n.nspname = 'public'$$,
  'the two checks above did look at the policies'' SECURITY DEFINER helpers');

-- Views run with the caller's rights, so that RLS applies to the caller. Objects that
-- belong to an extension (pgTAP's own catalog views) are not ours and are left out.
select is_empty($$
  select c.relname from pg_class c
   where c.relnamespace = 'public'::regnamespace and c.relkind = 'v'
     and not exists (select 1 from pg_depend d
                      where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
     and not exists (select 1 from unnest(c.reloptions) o
                      where lower(o) in ('security_invoker=true', 'security_invoker=on',
                                         'security_invoker=1', 'security_invoker=yes'))$$,
  'every view in public is security_invoker');
select is_empty($$
  select c.relname from pg_class c
   where c.relnamespace = 'public'::regnamespace and c.relkind = 'm'$$,
  'public has no materialized view (it cannot be security_invoker and ignores RLS)');

-- The database enforces the active-chat limit.
select has_trigger('chat_sessions', 'chat_sessions_active_limit',
  'chat_sessions has the active-chat limit trigger');
select trigger_is('chat_sessions', 'chat_sessions_active_limit', 'enforce_active_chat_limit',
  'the active-chat limit trigger runs enforce_active_chat_limit()');
select is((select t.tgenabled::text from pg_trigger t
            where t.tgrelid = 'chat_sessions'::regclass and t.tgname = 'chat_sessions_active_limit'),
  'O', 'the active-chat limit trigger is enabled');

-- Append-only tables: no UPDATE (not even on one column), DELETE or TRUNCATE for the app
-- role, nor for tenantry_system, which the app becomes in asSystem().
select is_empty($$
  select r, t, p from unnest(array['tenantry_app', 'tenantry_system']) r,
                      unnest(array['config_history', 'audit_log']) t,
                      unnest(array['UPDATE', 'DELETE', 'TRUNCATE']) p
   where case p when 'UPDATE' then has_any_column_privilege(r, t, p)
                else has_table_privilege(r, t, p) end$$,
  'config_history and audit_log: no UPDATE, DELETE or TRUNCATE for tenantry_app or tenantry_system');
select is_empty($$
  select c.relname, p from pg_class c, unnest(array['TRUNCATE', 'REFERENCES', 'TRIGGER']) p
   where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v')
     and has_table_privilege('tenantry_app', c.oid, p)$$,
  'tenantry_app has no TRUNCATE, REFERENCES or TRIGGER on any table');

select * from finish();
ROLLBACK;
