-- V002: every service's config at version 1 with its defaults (API.md "config").
-- The table owner is subject to RLS too; the config policies let anyone with table
-- privileges write, so this needs no tenant context.
with defaults (service, data) as (
  values
    ('chat', jsonb_build_object(
      'actions', jsonb_build_array(
        jsonb_build_object('id', 'help', 'label', 'Help',
          'description', 'List the actions you can send.'),
        jsonb_build_object('id', 'ping', 'label', 'Ping',
          'description', 'Replies with pong.'),
        jsonb_build_object('id', 'time', 'label', 'Time',
          'description', 'The server''s current time in UTC.'),
        jsonb_build_object('id', 'roll-dice', 'label', 'Roll dice',
          'description', 'Rolls dice and returns each face and the total.',
          'args', jsonb_build_object(
            'count', jsonb_build_object('type', 'integer', 'minimum', 1, 'maximum', 10, 'default', 1),
            'sides', jsonb_build_object('type', 'integer', 'minimum', 2, 'maximum', 100, 'default', 6)))),
      'max_active_chats_per_user_per_project', 3,
      'idle_timeout_seconds', 1800)),
    ('ratelimits', jsonb_build_object(
      'guest_signin', jsonb_build_object('limit', 30, 'window_seconds', 60),
      'authenticated', jsonb_build_object('limit', 600, 'window_seconds', 60))),
    ('projects', jsonb_build_object('max_projects_per_org', 100)),
    ('auth', jsonb_build_object(
      'access_token_ttl_seconds', 900,
      'refresh_token_ttl_seconds', 2592000)),
    ('features', jsonb_build_object('flags', jsonb_build_object()))
), seeded as (
  insert into service_configs (service, version, data, updated_by)
  select service, 1, data, 'migration:V002' from defaults
  returning service, version, data, updated_at, updated_by
)
insert into config_history (service, version, data, updated_at, updated_by)
select service, version, data, updated_at, updated_by from seeded;
