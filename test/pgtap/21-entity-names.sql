-- entity_name, the names of orgs and projects (V004): trimmed as the API trims, 1-100
-- code points, no control characters, no bidirectional controls or other invisible
-- format characters except the joiner, selectors and tags inside emoji sequences.
-- The cases are test/fixtures/entity-names.ts, in its order and with its labels (less
-- their non-ASCII glyphs), as the database sees them: each name as the API stores it
-- (trimmed), and a name sent with spaces around it also as sent, which the database
-- refuses (the API trims it first).
-- shared/db/entity-name.test.ts checks case by case that the API's schema agrees.
BEGIN;
select plan(125);
\ir lib/world.sql

select case when t.valid
         then lives_ok(format('select %L::entity_name', t.name), 'entity_name accepts ' || t.label)
         else throws_ok(format('select %L::entity_name', t.name), '23514', null::text,
                        'entity_name refuses ' || t.label)
       end
  from (values
  ('one letter', 'A', true),
  ('letters, digits and inner spaces', 'Acme Corp 42', true),
  ('non-ASCII letters', E'Z\u00FCrich \u00C6r\u00F8 \u6771\u4EAC', true),
  ('right-to-left letters without controls', E'\u0634\u0631\u0643\u0629 \u0627\u0644\u0646\u0648\u0631', true),
  ('100 x''s', repeat('x', 100), true),
  ('100 e-acutes (U+00E9)', repeat(E'\u00E9', 100), true),
  ('100 emoji (200 UTF-16 units)', repeat(E'\U0001F600', 100), true),
  ('50 decomposed e-acutes (e + U+0301: 100 code points)', repeat(E'e\u0301', 50), true),
  ('empty', '', false),
  ('only spaces', '', false),
  ('only spaces, untrimmed', '   ', false),
  ('101 x''s', repeat('x', 101), false),
  ('101 e-acutes', repeat(E'\u00E9', 101), false),
  ('101 emoji', repeat(E'\U0001F600', 101), false),
  ('51 decomposed e-acutes (102 code points)', repeat(E'e\u0301', 51), false),
  ('a leading space', 'Acme', true),
  ('a leading space, untrimmed', ' Acme', false),
  ('a trailing space', 'Acme', true),
  ('a trailing space, untrimmed', 'Acme ', false),
  ('spaces around 100 characters', repeat('x', 100), true),
  ('spaces around 100 characters, untrimmed', ' ' || repeat('x', 100) || ' ', false),
  ('a leading no-break space (U+00A0)', 'Acme', true),
  ('a leading no-break space (U+00A0), untrimmed', E'\u00A0Acme', false),
  ('a trailing ideographic space (U+3000)', 'Acme', true),
  ('a trailing ideographic space (U+3000), untrimmed', E'Acme\u3000', false),
  ('a leading line separator (U+2028)', 'Acme', true),
  ('a leading line separator (U+2028), untrimmed', E'\u2028Acme', false),
  ('a trailing hair space (U+200A)', 'Acme', true),
  ('a trailing hair space (U+200A), untrimmed', E'Acme\u200A', false),
  ('a leading byte order mark (U+FEFF)', 'Acme', true),
  ('a leading byte order mark (U+FEFF), untrimmed', E'\uFEFFAcme', false),
  ('a leading tab and a trailing newline', 'Acme', true),
  ('a leading tab and a trailing newline, untrimmed', E'\u0009Acme\u000A', false),
  ('an inner no-break space', E'Acme\u00A0Corp', true),
  ('only no-break spaces', '', false),
  ('only no-break spaces, untrimmed', E'\u00A0\u00A0', false),
  ('only an ideographic space', '', false),
  ('only an ideographic space, untrimmed', E'\u3000', false),
  ('a bell (U+0007)', E'bad\u0007name', false),
  ('an inner newline', E'Ac\u000Ame', false),
  ('an inner tab', E'Ac\u0009me', false),
  ('an escape sequence (U+001B)', E'red\u001B[31m', false),
  ('DEL (U+007F)', E'Ac\u007Fme', false),
  ('a C1 control (U+0085)', E'Ac\u0085me', false),
  ('a C1 control (U+009F)', E'Ac\u009Fme', false),
  ('bidi control U+202A', E'abc\u202Adef', false),
  ('bidi control U+202B', E'abc\u202Bdef', false),
  ('bidi control U+202C', E'abc\u202Cdef', false),
  ('bidi control U+202D', E'abc\u202Ddef', false),
  ('bidi control U+202E', E'abc\u202Edef', false),
  ('bidi control U+2066', E'abc\u2066def', false),
  ('bidi control U+2067', E'abc\u2067def', false),
  ('bidi control U+2068', E'abc\u2068def', false),
  ('bidi control U+2069', E'abc\u2069def', false),
  ('bidi control U+200E', E'abc\u200Edef', false),
  ('bidi control U+200F', E'abc\u200Fdef', false),
  ('bidi control U+061C', E'abc\u061Cdef', false),
  ('format character U+00AD', E'Ac\u00ADme', false),
  ('format character U+0600', E'Ac\u0600me', false),
  ('format character U+06DD', E'Ac\u06DDme', false),
  ('format character U+070F', E'Ac\u070Fme', false),
  ('format character U+0890', E'Ac\u0890me', false),
  ('format character U+08E2', E'Ac\u08E2me', false),
  ('format character U+180E', E'Ac\u180Eme', false),
  ('format character U+200B', E'Ac\u200Bme', false),
  ('format character U+200C', E'Ac\u200Cme', false),
  ('format character U+2060', E'Ac\u2060me', false),
  ('format character U+2061', E'Ac\u2061me', false),
  ('format character U+2064', E'Ac\u2064me', false),
  ('format character U+206A', E'Ac\u206Ame', false),
  ('format character U+206F', E'Ac\u206Fme', false),
  ('format character U+FEFF', E'Ac\uFEFFme', false),
  ('format character U+FFF9', E'Ac\uFFF9me', false),
  ('format character U+FFFB', E'Ac\uFFFBme', false),
  ('format character U+110BD', E'Ac\U000110BDme', false),
  ('format character U+13430', E'Ac\U00013430me', false),
  ('format character U+1BCA0', E'Ac\U0001BCA0me', false),
  ('format character U+1D173', E'Ac\U0001D173me', false),
  ('format character U+E0001', E'Ac\U000E0001me', false),
  ('format character U+E0041', E'Ac\U000E0041me', false),
  ('a right-to-left override at the start', E'\u202Eevil.exe', false),
  ('a zero width space at the end', E'Acme\u200B', false),
  ('a family (ZWJ sequence, man woman girl)', E'\U0001F468\u200D\U0001F469\u200D\U0001F467', true),
  ('a heart with VS16', E'\u2764\uFE0F', true),
  ('a smiley with VS15 (text style)', E'\u263A\uFE0E', true),
  ('keycap 1', E'1\uFE0F\u20E3', true),
  ('keycap #', E'#\uFE0F\u20E3', true),
  ('the flag of Scotland (tag sequence)', E'\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F', true),
  ('a ZWJ after a skin tone', E'\U0001F469\U0001F3FD\u200D\U0001F4BB', true),
  ('a ZWJ after VS16', E'\u2764\uFE0F\u200D\U0001F525', true),
  ('a rainbow flag', E'\U0001F3F3\uFE0F\u200D\U0001F308', true),
  ('a regional-indicator flag', E'\U0001F1E8\U0001F1ED', true),
  ('emoji among words', E'Team \U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F \u2764\uFE0F Rocket \U0001F680', true),
  ('a plain black flag', E'\U0001F3F4 Pirates', true),
  ('a ZWJ between letters', E'a\u200Db', false),
  ('a ZWJ at the start', E'\u200D\U0001F600', false),
  ('a ZWJ at the end', E'\U0001F600\u200D', false),
  ('only a ZWJ', E'\u200D', false),
  ('two ZWJs between emoji', E'\U0001F468\u200D\u200D\U0001F469', false),
  ('a ZWJ between an emoji and a letter', E'\U0001F468\u200Da', false),
  ('a ZWJ between a letter and an emoji', E'a\u200D\U0001F469', false),
  ('a ZWJ after a keycap', E'1\uFE0F\u20E3\u200D\U0001F600', false),
  ('VS16 after a letter', E'a\uFE0F', false),
  ('VS15 after a letter', E'Acme\uFE0E', false),
  ('VS16 at the start', E'\uFE0FAcme', false),
  ('two VS16 after an emoji', E'\u2764\uFE0F\uFE0F', false),
  ('VS16 after a skin tone', E'\U0001F44B\U0001F3FD\uFE0F', false),
  ('keycap on a letter', E'a\uFE0F\u20E3', false),
  ('tags without the black flag', E'Acme\U000E0067\U000E0062\U000E007F', false),
  ('tags on another emoji', E'\U0001F3F3\U000E0067\U000E0062\U000E007F', false),
  ('a flag tag sequence without cancel tag', E'\U0001F3F4\U000E0067\U000E0062', false),
  ('flag tags ended by a letter instead of cancel tag', E'\U0001F3F4\U000E0067\U000E0062x', false),
  ('a cancel tag without tags', E'\U0001F3F4\U000E007F', false),
  ('a second cancel tag', E'\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F\U000E007F', false),
  ('a language tag inside a flag', E'\U0001F3F4\U000E0001\U000E0067\U000E007F', false),
  ('a ZWJ after a tag sequence', E'\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F\u200D\U0001F600', false)
  ) as t (label, name, valid);

-- The domain is checked by entity_name_is_valid() alone, a plain IMMUTABLE function with
-- a pinned search_path, run with the rights of whoever writes a name: the roles that
-- write names may execute it, PUBLIC may not (V001's default).
select is((select pg_get_constraintdef(c.oid) from pg_constraint c
            where c.contypid = 'entity_name'::regtype),
  'CHECK (entity_name_is_valid(VALUE))',
  'entity_name: its one check is entity_name_is_valid(VALUE), named entity_name_check');
select is_empty($$
  select p.oid::regprocedure from pg_proc p
   where p.oid in ('entity_name_is_valid(text)'::regprocedure,
                   'entity_name_code_points(text)'::regprocedure)
     and (p.prosecdef or p.provolatile <> 'i'
          or not exists (select 1 from unnest(p.proconfig) c where c = 'search_path=""')
          or exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                      where a.grantee = 0 and a.privilege_type = 'EXECUTE')
          or not has_function_privilege('tenantry_app', p.oid, 'EXECUTE')
          or not has_function_privilege('tenantry_system', p.oid, 'EXECUTE'))$$,
  'entity_name functions: immutable, invoker''s rights, search_path pinned, EXECUTE for the app and system roles only');

-- Through the tables, as the roles that write names: alice owns org A.
set local role tenantry_app;
select set_config('app.user_id', 'a11ce000-0000-4000-8000-000000000000', true);
select lives_ok(
  $$update orgs set name = E'\U0001F468\u200D\U0001F469\u200D\U0001F467 Family'
     where id = '0a000000-0000-4000-8000-000000000000'$$,
  'orgs: the app role renames an org to a name with an emoji ZWJ sequence');
select throws_ok(
  $$update orgs set name = E'Org \u202EA' where id = '0a000000-0000-4000-8000-000000000000'$$,
  '23514', null::text,
  'orgs: the app role cannot rename an org to a name with a right-to-left override');
select lives_ok(
  $$insert into projects (org_id, name) values ('0a000000-0000-4000-8000-000000000000', E'1\uFE0F\u20E3 First')$$,
  'projects: the app role creates a project named with a keycap');
select throws_ok(
  $$update projects set name = E'Project\u200BA' where id = '9a000000-0000-4000-8000-000000000000'$$,
  '23514', null::text,
  'projects: the app role cannot rename a project to a name with a zero width space');
reset role;

set local role tenantry_system;
select lives_ok(
  $$insert into orgs (name, status, created_by)
    values (E'\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F Scots', 'pending',
            'a11ce000-0000-4000-8000-000000000000')$$,
  'orgs: the system role (the org saga) creates an org named with a subdivision flag');
select throws_ok(
  $$insert into orgs (name, status, created_by)
    values (E'\u00A0Acme', 'pending', 'a11ce000-0000-4000-8000-000000000000')$$,
  '23514', null::text,
  'orgs: the system role cannot create an org whose name starts with a no-break space');
reset role;

select results_eq(
  $$select name::text from orgs where id = '0a000000-0000-4000-8000-000000000000'$$,
  array[E'\U0001F468\u200D\U0001F469\u200D\U0001F467 Family'],
  'orgs: org A carries the emoji name, and only that rename took effect');

select * from finish();
ROLLBACK;
