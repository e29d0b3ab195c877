-- Cluster roles Tenantry expects. Run once per PostgreSQL cluster by an administrator
-- (a superuser, or CloudNativePG's managed roles declaring the same attributes).
-- Idempotent: re-running it only re-asserts the attributes. Passwords are set elsewhere
-- (Kubernetes Secrets, or the test harness); none is kept in git.
--
--   tenantry_owner   owns every table and function, runs the migrations. Subject to RLS
--                    (tables FORCE it), so even the owner sees nothing without context.
--   tenantry_app     what the functions log in as: not owner, not superuser, no BYPASSRLS.
--   tenantry_system  no login, BYPASSRLS. The app may only enter it with SET LOCAL ROLE
--                    inside the audited `asSystem(purpose, …)` helper (sign-in, invite
--                    acceptance, saga steps); it owns nothing.
--   tenantry_definer no login, BYPASSRLS. Owns the few SECURITY DEFINER functions that
--                    policies call to read memberships without recursing into their own
--                    policy. Nobody can SET ROLE to it except the owner role.
do $roles$
declare
  wanted constant text[][] := array[
    ['tenantry_owner',   'login nosuperuser nocreatedb nocreaterole noreplication nobypassrls inherit'],
    ['tenantry_app',     'login nosuperuser nocreatedb nocreaterole noreplication nobypassrls noinherit'],
    ['tenantry_system',  'nologin nosuperuser nocreatedb nocreaterole noreplication bypassrls noinherit'],
    ['tenantry_definer', 'nologin nosuperuser nocreatedb nocreaterole noreplication bypassrls noinherit']
  ];
  i int;
begin
  for i in 1 .. array_length(wanted, 1) loop
    begin
      execute format('create role %I %s', wanted[i][1], wanted[i][2]);
    exception when duplicate_object or unique_violation then
      -- another bootstrap created it at the same instant, or it already existed
      null;
    end;
    execute format('alter role %I %s', wanted[i][1], wanted[i][2]);
  end loop;
end
$roles$;

-- The owner hands function ownership to tenantry_definer (ALTER … OWNER needs membership).
grant tenantry_definer to tenantry_owner;
-- The app may SET LOCAL ROLE tenantry_system inside asSystem(); with NOINHERIT it gains
-- nothing from the membership otherwise.
grant tenantry_system to tenantry_app;
