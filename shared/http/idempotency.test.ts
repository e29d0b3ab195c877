import { createHash, randomBytes } from 'node:crypto'
import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { type Tx, withUser } from '#shared/db/tenant.ts'
import { createLogger } from '#shared/log.ts'
import { useTestDatabase } from '#test/harness/database.ts'
import { createOrg, createUser, type UserRow } from '#test/harness/fixtures.ts'
import { idempotency, once } from './idempotency.ts'
import { jsonBody } from './input.ts'
import { createApp } from './platform.ts'

const db = useTestDatabase({ appPool: 8 })
const log = createLogger('test', { level: 'silent' })

/**
 * A create route whose side effect is countable: each call creates a project in the
 * caller's org, in the transaction once() runs it in. The user comes from a header here;
 * in the functions it is the verified token.
 */
const SECRET = new Uint8Array(randomBytes(32))

function testApp(
  options: { delayMs?: number; failWith?: number; secret?: Uint8Array; claim?: boolean } = {},
) {
  const app = createApp({ log })
  app.use(
    '/v1/*',
    idempotency({
      db: db.app,
      userOf: (c) => c.req.header('x-test-user') ?? '',
      secret: options.secret ?? SECRET,
    }),
  )
  app.post('/v1/things', async (c) => {
    const { name } = await jsonBody(c, v.object({ name: v.string() }))
    const user = c.req.header('x-test-user') ?? ''
    const work = async (tx: Tx) => {
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs))
      if (options.failWith) return c.json({ oops: true }, options.failWith as 500)
      const [row] = await tx`
        insert into projects (org_id, name)
        select org_id, ${`${name} ${Math.random()}`} from memberships where user_id = ${user}
        returning id`
      return c.json({ id: row?.id, name, at: Math.random() }, 201, {
        Location: `/v1/things/${row?.id}`,
      })
    }
    // A route that forgets its key runs its transaction without once().
    if (options.claim === false) return withUser(db.app, user, work)
    return once(c, (run) => withUser(db.app, user, run), work)
  })
  return app
}

/** The key's lock held by a transaction of our own, as a request in flight holds it. */
async function holdKey(user: UserRow, key: string) {
  const tx = await db.admin.reserve()
  await tx`begin`
  await tx`select pg_advisory_xact_lock(hashtextextended(${`idempotency:${user.id}:${key}`}, 0))`
  return async () => {
    await tx`commit`
    tx.release()
  }
}

const create = (
  app: ReturnType<typeof testApp>,
  user: UserRow,
  key: string | undefined,
  body: object,
) =>
  app.request('/v1/things', {
    method: 'POST',
    body: JSON.stringify(body),
    headers: {
      'content-type': 'application/json',
      'x-test-user': user.id,
      ...(key === undefined ? {} : { 'idempotency-key': key }),
    },
  })

async function sideEffects(user: UserRow): Promise<number> {
  const [row] = await db.admin`
    select count(*)::int as n from projects p join memberships m on m.org_id = p.org_id
     where m.user_id = ${user.id}`
  return row?.n ?? -1
}

/** A guest who owns an org, so that the route has somewhere to create projects. */
async function owner(): Promise<UserRow> {
  const user = await createUser(db.admin)
  await createOrg(db.admin, user)
  return user
}

describe('Idempotency-Key', () => {
  it('replays the first response byte for byte, and the side effect happens once', async () => {
    const user = await owner()
    const app = testApp()
    const first = await create(app, user, 'k-1', { name: 'a' })
    const again = await create(app, user, 'k-1', { name: 'a' })
    expect(first.status).toBe(201)
    expect(again.status).toBe(201)
    expect(await again.text()).toBe(await first.text())
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(first.headers.get('idempotent-replayed')).toBeNull()
    expect(again.headers.get('location')).toBe(first.headers.get('location'))
    expect(await sideEffects(user)).toBe(1)
  })

  it('keeps the stored response sealed: PostgreSQL never holds the body in clear', async () => {
    const user = await owner()
    const first = await create(testApp(), user, 'k-sealed', { name: 'plain-text-marker' })
    const text = await first.text()
    expect(text).toContain('plain-text-marker')
    const [row] = await db.admin<{ response_body: Buffer }[]>`
      select response_body from idempotency_keys where user_id = ${user.id} and key = 'k-sealed'`
    expect(row?.response_body.length).toBeGreaterThan(text.length)
    expect(row?.response_body.toString('latin1')).not.toContain('plain-text-marker')
    // Bound to its user and key: moved to another key, it does not open.
    await db.admin`
      insert into idempotency_keys (user_id, key, request_hash, status, response_status,
                                    response_body, response_headers, expires_at)
      select user_id, 'k-moved', request_hash, status, response_status, response_body,
             response_headers, expires_at
        from idempotency_keys where user_id = ${user.id} and key = 'k-sealed'`
    const moved = await create(testApp(), user, 'k-moved', { name: 'plain-text-marker' })
    expect(moved.status).toBe(422)
    expect(await moved.text()).not.toContain('plain-text-marker')
  })

  it('answers 422 and runs nothing when the secret changed since the response was stored', async () => {
    const user = await owner()
    await create(testApp(), user, 'k-rotated', { name: 'a' })
    const res = await create(
      testApp({ secret: new Uint8Array(randomBytes(32)) }),
      user,
      'k-rotated',
      {
        name: 'a',
      },
    )
    expect(res.status).toBe(422)
    expect(((await res.json()) as { code: string }).code).toBe('IDEMPOTENCY_KEY_REUSED')
    expect(await sideEffects(user)).toBe(1)
  })

  it('refuses the same key with a different body: 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const user = await owner()
    const app = testApp()
    await create(app, user, 'k-2', { name: 'a' })
    const res = await create(app, user, 'k-2', { name: 'b' })
    expect(res.status).toBe(422)
    expect(((await res.json()) as { code: string }).code).toBe('IDEMPOTENCY_KEY_REUSED')
    expect(await sideEffects(user)).toBe(1)
  })

  it('answers 409 IDEMPOTENCY_KEY_IN_USE while the first is running; one side effect', async () => {
    const user = await owner()
    const app = testApp({ delayMs: 300 })
    const results = await Promise.all(
      Array.from({ length: 6 }, () => create(app, user, 'k-3', { name: 'a' })),
    )
    const statuses = results.map((r) => r.status).sort()
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409])
    expect(await sideEffects(user)).toBe(1)
    const later = await create(app, user, 'k-3', { name: 'a' })
    expect(later.headers.get('idempotent-replayed')).toBe('true')
  })

  it('scopes keys to the caller', async () => {
    const [one, two] = [await owner(), await owner()]
    const app = testApp()
    await create(app, one, 'shared-key', { name: 'a' })
    const res = await create(app, two, 'shared-key', { name: 'b' })
    expect(res.status).toBe(201)
    expect(res.headers.get('idempotent-replayed')).toBeNull()
    expect(await sideEffects(two)).toBe(1)
  })

  it('releases the key after a 5xx so that a retry runs', async () => {
    const user = await owner()
    const failing = await create(testApp({ failWith: 503 }), user, 'k-4', { name: 'a' })
    expect(failing.status).toBe(503)
    const retry = await create(testApp(), user, 'k-4', { name: 'a' })
    expect(retry.status).toBe(201)
    expect(retry.headers.get('idempotent-replayed')).toBeNull()
  })

  it('treats an expired key as new', async () => {
    const user = await owner()
    const app = testApp()
    await create(app, user, 'k-5', { name: 'a' })
    await db.admin`update idempotency_keys set created_at = now() - interval '2 days',
                   expires_at = now() - interval '1 day' where user_id = ${user.id}`
    const res = await create(app, user, 'k-5', { name: 'b' })
    expect(res.status).toBe(201)
    expect(res.headers.get('idempotent-replayed')).toBeNull()
    expect(await sideEffects(user)).toBe(2)
  })

  it('treats a claim no transaction holds as free: a crashed request leaves none', async () => {
    const user = await owner()
    // A row `in_flight` with no lock held, as an earlier version left one at a crash.
    const body = JSON.stringify({ name: 'a' })
    const hash = createHash('sha256').update('POST /v1/things\n').update(body).digest()
    await db.admin`insert into idempotency_keys (user_id, key, request_hash, expires_at)
      values (${user.id}, 'k-6', ${hash}, now() + interval '1 day')`
    const res = await create(testApp(), user, 'k-6', { name: 'a' })
    expect(res.status).toBe(201)
    expect(await sideEffects(user)).toBe(1)
    expect(
      (await create(testApp(), user, 'k-6', { name: 'a' })).headers.get('idempotent-replayed'),
    ).toBe('true')
    // Another request under the key is still refused.
    expect((await create(testApp(), user, 'k-6', { name: 'b' })).status).toBe(422)
  })

  it('answers 409 only while a transaction holds the key, and runs at once after', async () => {
    const user = await owner()
    const release = await holdKey(user, 'k-7')
    const busy = await create(testApp(), user, 'k-7', { name: 'a' })
    expect([busy.status, ((await busy.json()) as { code: string }).code]).toEqual([
      409,
      'IDEMPOTENCY_KEY_IN_USE',
    ])
    expect(busy.headers.get('retry-after')).toBe('1')
    await release()
    expect((await create(testApp(), user, 'k-7', { name: 'a' })).status).toBe(201)
    expect(await sideEffects(user)).toBe(1)
  })

  it('commits the response with the side effect: a request killed mid-way leaves neither', async () => {
    const user = await owner()
    const pending = create(testApp({ delayMs: 300 }), user, 'k-8', { name: 'a' })
    // The request's transaction holds the key's lock; end its session as a crash would.
    let pid: number | undefined
    for (let i = 0; i < 100 && pid === undefined; i++) {
      const [row] = await db.admin<{ pid: number }[]>`
        select pid from pg_locks where locktype = 'advisory' and granted
           and objid = (hashtextextended(${`idempotency:${user.id}:k-8`}, 0) & 4294967295)::oid`
      pid = row?.pid
      if (pid === undefined) await new Promise((resolve) => setTimeout(resolve, 10))
    }
    expect(pid, 'the request holds its key').toBeDefined()
    await db.admin`select pg_terminate_backend(${pid as number})`
    expect((await pending).status).toBe(503)
    const [stored] = await db.admin`select 1 from idempotency_keys where user_id = ${user.id}`
    expect(stored).toBeUndefined()
    // The retry runs at once: nothing claims the key.
    expect((await create(testApp(), user, 'k-8', { name: 'a' })).status).toBe(201)
    expect(await sideEffects(user)).toBe(1)
  })

  it('refuses to answer for a route that does not claim its key (a bug, not a replay)', async () => {
    const user = await owner()
    const res = await create(testApp({ claim: false }), user, 'k-9', { name: 'a' })
    expect([res.status, ((await res.json()) as { code: string }).code]).toEqual([500, 'INTERNAL'])
  })

  it('refuses a malformed key with 400 and does nothing', async () => {
    const user = await owner()
    const app = testApp()
    for (const key of ['x'.repeat(256), 'has space', '']) {
      const res = await create(app, user, key, { name: 'a' })
      expect(res.status, key).toBe(400)
      const body = (await res.json()) as { code: string; errors: { location: string }[] }
      expect(body.errors[0]?.location).toBe('header.idempotency-key')
    }
    expect(await sideEffects(user)).toBe(0)
  })

  it('does nothing special without the header', async () => {
    const user = await owner()
    const app = testApp()
    await create(app, user, undefined, { name: 'a' })
    await create(app, user, undefined, { name: 'a' })
    expect(await sideEffects(user)).toBe(2)
  })
})
