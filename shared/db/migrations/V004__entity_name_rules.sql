-- V004: names of orgs and projects (the entity_name domain) follow API.md "orgs" exactly,
-- and agree with the API's schema (shared/http/names.ts) name for name:
--   * trimmed as the API trims (JavaScript's String.prototype.trim(), which removes more
--     than the spaces btrim() removes: no-break and other Unicode spaces, line separators);
--   * 1–100 characters, counted as code points (char_length), as before;
--   * no control characters (C0, DEL, C1), as before;
--   * no bidirectional controls or other invisible format characters (category Cf), which
--     let a name pass for another one, except inside emoji sequences.
-- PostgreSQL's regular expressions know no Unicode properties, so the tables are code
-- point ranges, spelled exactly as in names.ts (Unicode 17.0) so the two compare by eye.
--
-- Both functions are plain SECURITY INVOKER functions owned by tenantry_owner, like
-- V001's trigger functions: a domain check runs as whoever writes or casts the value, so
-- the roles that write names need EXECUTE (V001 revoked the default grant to PUBLIC).
-- search_path is pinned, so nobody's schema can put an operator or function in the way.

-- 'HHHH HHHH-HHHH …' (hex code points and inclusive ranges) → a multirange.
create function entity_name_code_points(list text) returns int4multirange
language sql immutable strict parallel safe set search_path = ''
return (
  select coalesce(range_agg(int4range(r.lo, r.hi, '[]')), '{}')
    from (select ('x' || lpad(m[1], 8, '0'))::bit(32)::integer as lo,
                 ('x' || lpad(coalesce(m[2], m[1]), 8, '0'))::bit(32)::integer as hi
            from regexp_matches(list, '([0-9A-F]+)(?:-([0-9A-F]+))?', 'g') as m) as r);

-- The whole rule, for a value as stored (the API trims before it checks). The tables are
-- calls with constant arguments of an immutable function: the planner folds each into a
-- constant once per session, not once per call.
create function entity_name_is_valid(name text) returns boolean
language plpgsql immutable strict parallel safe set search_path = '' as $$
declare
  -- C0, DEL and C1 (U+0000 cannot occur in text).
  control constant int4multirange := public.entity_name_code_points('0000-001F 007F-009F');
  -- ECMAScript WhiteSpace and LineTerminator: what the API's trim() removes.
  space constant int4multirange := public.entity_name_code_points(
    '0009-000D 0020 00A0 1680 2000-200A 2028-2029 202F 205F 3000 FEFF');
  -- Unicode 17.0 General_Category=Cf.
  format constant int4multirange := public.entity_name_code_points('
    00AD 0600-0605 061C 06DD 070F 0890-0891 08E2 180E 200B-200F 202A-202E 2060-2064
    2066-206F FEFF FFF9-FFFB 110BD 110CD 13430-1343F 1BCA0-1BCA3 1D173-1D17A E0001
    E0020-E007F
  ');
  -- Unicode 17.0 Extended_Pictographic.
  pictographic constant int4multirange := public.entity_name_code_points('
    00A9 00AE 203C 2049 2122 2139 2194-2199 21A9-21AA 231A-231B 2328 23CF 23E9-23F3
    23F8-23FA 24C2 25AA-25AB 25B6 25C0 25FB-25FE 2600-2604 260E 2611 2614-2615 2618 261D
    2620 2622-2623 2626 262A 262E-262F 2638-263A 2640 2642 2648-2653 265F-2660 2663
    2665-2666 2668 267B 267E-267F 2692-2697 2699 269B-269C 26A0-26A1 26A7 26AA-26AB
    26B0-26B1 26BD-26BE 26C4-26C5 26C8 26CE-26CF 26D1 26D3-26D4 26E9-26EA 26F0-26F5
    26F7-26FA 26FD 2702 2705 2708-270D 270F 2712 2714 2716 271D 2721 2728 2733-2734 2744
    2747 274C 274E 2753-2755 2757 2763-2764 2795-2797 27A1 27B0 27BF 2934-2935 2B05-2B07
    2B1B-2B1C 2B50 2B55 3030 303D 3297 3299 1F004 1F02C-1F02F 1F094-1F09F 1F0AF-1F0B0
    1F0C0 1F0CF-1F0D0 1F0F6-1F0FF 1F170-1F171 1F17E-1F17F 1F18E 1F191-1F19A 1F1AE-1F1E5
    1F201-1F20F 1F21A 1F22F 1F232-1F23A 1F23C-1F23F 1F249-1F25F 1F266-1F321 1F324-1F393
    1F396-1F397 1F399-1F39B 1F39E-1F3F0 1F3F3-1F3F5 1F3F7-1F3FA 1F400-1F4FD 1F4FF-1F53D
    1F549-1F54E 1F550-1F567 1F56F-1F570 1F573-1F57A 1F587 1F58A-1F58D 1F590 1F595-1F596
    1F5A4-1F5A5 1F5A8 1F5B1-1F5B2 1F5BC 1F5C2-1F5C4 1F5D1-1F5D3 1F5DC-1F5DE 1F5E1 1F5E3
    1F5E8 1F5EF 1F5F3 1F5FA-1F64F 1F680-1F6C5 1F6CB-1F6D2 1F6D5-1F6E5 1F6E9 1F6EB-1F6F0
    1F6F3-1F6FF 1F7DA-1F7FF 1F80C-1F80F 1F848-1F84F 1F85A-1F85F 1F888-1F88F 1F8AE-1F8AF
    1F8BC-1F8BF 1F8C2-1F8CF 1F8D9-1F8FF 1F90C-1F93A 1F93C-1F945 1F947-1F9FF 1FA58-1FA5F
    1FA6E-1FAFF 1FC00-1FFFD
  ');
  keycap_base  constant int4multirange := public.entity_name_code_points('0023 002A 0030-0039');
  skin_tone    constant int4multirange := public.entity_name_code_points('1F3FB-1F3FF');
  tag_spec     constant int4multirange := public.entity_name_code_points('E0020-E007E');
  zwj          constant integer := x'200D'::integer;
  vs15         constant integer := x'FE0E'::integer; -- text presentation
  vs16         constant integer := x'FE0F'::integer; -- emoji presentation
  black_flag   constant integer := x'1F3F4'::integer; -- base of the subdivision flags
  cancel_tag   constant integer := x'E007F'::integer;
  n   integer := char_length(name);
  cps integer[];
  cp  integer;
  i   integer := 1;
  j   integer;
begin
  -- Length first: nothing longer is worth splitting into code points.
  if n < 1 or n > 100 then
    return false;
  end if;
  cps := array(select ascii(c) from unnest(string_to_array(name, null)) with ordinality as u (c, o)
                order by o);
  if space @> cps[1] or space @> cps[n] then
    return false;
  end if;
  -- Format characters and emoji presentation selectors only inside emoji sequences, as
  -- formatCharactersAllowed() in shared/http/names.ts: tag characters closed by CANCEL
  -- TAG right after the black flag; VS15/VS16 right after a pictograph or a keycap base;
  -- a ZWJ between two pictographs (past the first one's selector or skin tone).
  while i <= n loop
    cp := cps[i];
    if cp = black_flag and i < n and tag_spec @> cps[i + 1] then
      j := i + 1;
      while j <= n and tag_spec @> cps[j] loop
        j := j + 1;
      end loop;
      if j > n or cps[j] <> cancel_tag then
        return false;
      end if;
      i := j;
    elsif cp = vs15 or cp = vs16 then
      if i = 1 or not (pictographic @> cps[i - 1] or keycap_base @> cps[i - 1]) then
        return false;
      end if;
    elsif cp = zwj then
      j := i - 1;
      while j >= 1 and (cps[j] = vs15 or cps[j] = vs16 or skin_tone @> cps[j]) loop
        j := j - 1;
      end loop;
      if j < 1 or i = n or not pictographic @> cps[j] or not pictographic @> cps[i + 1] then
        return false;
      end if;
    elsif control @> cp or format @> cp then
      return false;
    end if;
    i := i + 1;
  end loop;
  return true;
end
$$;

revoke execute on function entity_name_code_points(text), entity_name_is_valid(text)
  from public;
grant execute on function entity_name_code_points(text), entity_name_is_valid(text)
  to tenantry_app, tenantry_system;

-- Same constraint name as V001's, so errors still name entity_name_check. Adding it checks
-- every existing org and project name (a heap scan, row-level security does not apply):
-- a stored name that breaks the new rule fails this migration, rolled back, instead of
-- staying behind unchecked. Both statements run in the runner's one transaction, so no
-- name is ever written without a check.
alter domain entity_name drop constraint entity_name_check;
alter domain entity_name add constraint entity_name_check
  check (public.entity_name_is_valid(value));
