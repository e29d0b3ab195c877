import postgres from 'postgres'

/**
 * Benchmark data, written as the superuser (no RLS): `users` guests, one org each with
 * 10 projects owned by its creator, and two more memberships per user in other orgs
 * (the same shape as bench/rls.ts). Returns every (project, member) pair.
 */

export interface Member {
  id: string
  handle: string
}

export interface SeededPairs {
  /** Pair i: project projectIds[i] read by members[i]. */
  projectIds: string[]
  members: Member[]
  users: Member[]
  projects: number
}

export async function seedProjects(adminUrl: string, users: number): Promise<SeededPairs> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  try {
    await admin.begin(async (tx) => {
      await tx`
        insert into users (handle)
        select 'guest-' || lpad(g::text, 4, '0') from generate_series(1, ${users}::int) g`
      await tx`
        insert into orgs (name, status, created_by)
        select 'Org of ' || u.handle, 'committed', u.id from users u`
      await tx`
        insert into memberships (org_id, user_id, role)
        select o.id, o.created_by, 'owner' from orgs o`
      // Shared memberships: user i also belongs to the orgs of users i+7 and i+53.
      await tx`
        with numbered as (
          select u.id as user_id, o.id as org_id, row_number() over (order by u.handle) - 1 as n
            from users u join orgs o on o.created_by = u.id
        )
        insert into memberships (org_id, user_id, role)
        select other.org_id, me.user_id, case when k.step = 7 then 'admin' else 'member' end
          from numbered me
          cross join (values (7), (53)) k (step)
          join numbered other on other.n = (me.n + k.step) % ${users}::int
         where other.user_id <> me.user_id
        on conflict do nothing`
      await tx`
        insert into projects (org_id, name, description)
        select o.id, 'Project ' || p, 'Seeded for the benchmarks: ' || repeat('lorem ipsum ', 8)
          from orgs o cross join generate_series(1, 10) p`
    })
    await admin`analyze`
    const rows = await admin<{ id: string; user_id: string; handle: string }[]>`
      select p.id, m.user_id, u.handle
        from projects p join memberships m on m.org_id = p.org_id join users u on u.id = m.user_id`
    const all = await admin<{ id: string; handle: string }[]>`select id, handle from users`
    const [count] = await admin<{ n: number }[]>`select count(*)::int as n from projects`
    return {
      projectIds: rows.map((r) => r.id),
      members: rows.map((r) => ({ id: r.user_id, handle: r.handle })),
      users: all.map((u) => ({ id: u.id, handle: u.handle })),
      projects: count?.n ?? 0,
    }
  } finally {
    await admin.end()
  }
}

/**
 * Lifts the `authenticated` rate limit (600 a minute per user by default) out of the
 * way: a benchmark sends thousands of requests a second for a few hundred users. The
 * limiter still runs on every request; it just never says no. Call before a function
 * starts (it loads its config once at start).
 */
export async function liftRateLimits(adminUrl: string): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  try {
    await admin`
      update service_configs
         set data = jsonb_set(data, '{authenticated,limit}', '2000000000'::jsonb)
       where service = 'ratelimits'`
  } finally {
    await admin.end()
  }
}
