#!/usr/bin/env bash
# Mutation check (issue 2, section 6c): weaken the schema on purpose, one mutation at a
# time, and show that the isolation suites catch every one of them (they must FAIL).
#
# Each mutation is SQL that test/global-setup.ts runs as the superuser on the migrated
# template database (TENANTRY_TEST_MUTATION_SQL), so every test database of that run is
# cloned from the weakened schema. The suites first run unmutated and must pass.
#
#   npm run mutation-check
#
# Exit status: 0 when every mutation was caught; 1 when one survived (the suites passed
# against a broken schema) or could not be judged; 2 when the unmutated run fails.
# Mutations stay inside the test database: nothing here alters cluster-wide roles.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# The project's Node 24 first, as in every npm script, also when run as plain bash.
PATH="$PWD/node_modules/.bin:$PATH"

SUITES=(test/pgtap.test.ts)
[ -f shared/db/isolation.test.ts ] && SUITES+=(shared/db/isolation.test.ts)

NAMES=()
MUTATIONS=()
mutation() {
  NAMES+=("$1")
  MUTATIONS+=("$2")
}

mutation 'projects_select lets everyone see every project' \
  'drop policy projects_select on projects;
   create policy projects_select on projects for select using (true);'
mutation 'chat_sessions without row-level security' \
  'alter table chat_sessions no force row level security;
   alter table chat_sessions disable row level security;'
mutation 'memberships_select lets everyone see every membership' \
  'alter policy memberships_select on memberships using (true);'
mutation 'users_select lets everyone see every user' \
  'drop policy users_select on users;
   create policy users_select on users for select using (true);'
mutation 'config_history updatable by the app role' \
  'grant update on config_history to tenantry_app;'
mutation 'chat_sessions RLS no longer forced (the owner sees every chat)' \
  'alter table chat_sessions no force row level security;'
mutation 'orgs_update lets any member rename any org it can see' \
  'alter policy orgs_update on orgs using (true) with check (true);'
mutation 'invites visible to and writable by plain members' \
  'alter policy invites_admin on invites
     using (org_id in (select app_user_org_ids()))
     with check (org_id in (select app_user_org_ids()));'
mutation 'audit_log_insert accepts entries for any org' \
  'alter policy audit_log_insert on audit_log with check (true);'
mutation 'chat_sessions_own no longer checks the project is visible' \
  "alter policy chat_sessions_own on chat_sessions
     with check (user_id = (select nullif(current_setting('app.user_id', true), '')::uuid));"
mutation 'refresh_tokens_own lets everyone read every token' \
  'alter policy refresh_tokens_own on refresh_tokens using (true);'
mutation 'idempotency_keys_own lets everyone read and write every key' \
  'alter policy idempotency_keys_own on idempotency_keys using (true) with check (true);'
mutation 'org_sagas_select lets everyone see every saga' \
  'alter policy org_sagas_select on org_sagas using (true);'
mutation 'admins may add any user to their org directly (no invite)' \
  "grant insert on memberships to tenantry_app;
   create policy memberships_insert on memberships for insert
     with check (org_id in (select app_user_org_ids_with_role('admin')));"
mutation 'audit_log_select lets everyone read every trail' \
  'alter policy audit_log_select on audit_log using (true);'
mutation 'app_user_org_ids() forgets the caller and returns every org' \
  'create or replace function app_user_org_ids() returns setof uuid
   language sql stable security definer set search_path = pg_catalog as
   $$ select m.org_id from public.memberships m $$;'
mutation 'a SECURITY DEFINER helper executable by PUBLIC' \
  'grant execute on function app_peer_user_ids() to public;'
mutation "a view that runs with its owner's rights (bypasses RLS)" \
  'create view project_names as select id, org_id, name from projects;
   grant select on project_names to tenantry_app;'
mutation 'the active-chat limit trigger dropped' \
  'drop trigger chat_sessions_active_limit on chat_sessions;'

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tenantry-mutation.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# Reads vitest's JSON report. `counts` prints "<failed> <total>"; `details` prints one
# line per test file with failures, naming up to three failed tests.
report() {
  # shellcheck disable=SC2016 # ${…} below is JavaScript, not shell
  node -e '
    const fs = require("node:fs")
    const path = require("node:path")
    const [mode, file] = process.argv.slice(1)
    let r = { numFailedTests: 0, numTotalTests: 0, testResults: [] }
    try { r = JSON.parse(fs.readFileSync(file, "utf8")) } catch {}
    const failedFiles = r.testResults.filter((t) => t.status === "failed")
    if (mode === "counts") {
      // Only failed tests count as caught: a suite that could not run proves nothing.
      console.log(`${r.numFailedTests} ${r.numTotalTests}`)
    } else {
      for (const t of failedFiles) {
        const failed = t.assertionResults.filter((a) => a.status === "failed")
        const title = (a) => [...a.ancestorTitles.slice(1), a.title].join(" > ")
        const names = failed.slice(0, 3).map(title).join("; ")
        const more = failed.length > 3 ? `; … ${failed.length - 3} more` : ""
        const what = failed.length ? `${failed.length} failed: ${names}${more}` :
          `suite error: ${(t.message || "").split("\n")[0]}`
        console.log(`      ${path.relative(process.cwd(), t.name)}: ${what}`)
      }
    }
  ' "$1" "$2"
}

# Runs the suites with the given mutation SQL ('' for none). Sets RC, FAILED, TOTAL, LOG.
run_suites() {
  local id=$1 sql=$2
  LOG="$WORK/$id.log"
  local json="$WORK/$id.json"
  RC=0
  NO_COLOR=1 TENANTRY_TEST_MUTATION_SQL="$sql" npx vitest run "${SUITES[@]}" \
    --reporter=dot --reporter=json --outputFile.json="$json" >"$LOG" 2>&1 || RC=$?
  read -r FAILED TOTAL < <(report counts "$json")
}

show_log() {
  echo "    --- last lines of the vitest output ---"
  tail -n 40 "$LOG" | sed 's/^/    /'
}

echo "mutation check: suites ${SUITES[*]}"
echo
echo "==> unmutated schema"
run_suites baseline ''
if [ "$RC" -ne 0 ] || [ "$FAILED" -ne 0 ] || [ "$TOTAL" -eq 0 ]; then
  echo "    FAIL: the suites must pass before mutating (exit $RC, $FAILED of $TOTAL tests failed)"
  report details "$WORK/baseline.json"
  show_log
  exit 2
fi
echo "    passed: $TOTAL tests"

caught=0
survived=()
errors=()
for i in "${!MUTATIONS[@]}"; do
  name=${NAMES[$i]}
  echo
  echo "==> [$((i + 1))/${#MUTATIONS[@]}] $name"
  printf '%s\n' "${MUTATIONS[$i]}" | sed -e '1s/^ */    SQL: /' -e '2,$s/^ */         /'
  run_suites "m$i" "${MUTATIONS[$i]}"
  if ! grep -q 'test schema mutated on purpose' "$LOG"; then
    echo "    ERROR: the mutation was not applied (exit $RC)"
    show_log
    errors+=("$name")
  elif [ "$RC" -eq 0 ]; then
    echo "    SURVIVED: all $TOTAL tests passed against the weakened schema"
    survived+=("$name")
  elif [ "$FAILED" -gt 0 ]; then
    echo "    caught: $FAILED of $TOTAL tests failed"
    report details "$WORK/m$i.json"
    caught=$((caught + 1))
  else
    echo "    ERROR: vitest exited with $RC but no test failed (setup error?)"
    show_log
    errors+=("$name")
  fi
done

echo
echo "summary: ${#MUTATIONS[@]} mutations, $caught caught, ${#survived[@]} survived, ${#errors[@]} errors"
for name in "${survived[@]}"; do echo "  survived: $name"; done
for name in "${errors[@]}"; do echo "  error:    $name"; done
[ "$caught" -eq "${#MUTATIONS[@]}" ]
