import postgres from 'postgres'

/**
 * Chats for `npm run bench:chat`, written as the superuser (no RLS): `count` guests, each
 * with an org of their own (owner), one project in it and one active chat in that project
 * that expires in a day. A chat belongs to one user, and the chat config caps the streams
 * one user holds on one instance (`max_connections_per_user`), so connections are spread
 * over many users by giving each user one chat.
 */

export interface SeededChat {
  chatId: string
  userId: string
  handle: string
}

export async function seedChats(adminUrl: string, count: number): Promise<SeededChat[]> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  try {
    await admin.begin(async (tx) => {
      await tx`
        insert into users (handle)
        select 'guest-' || lpad(g::text, 6, '0') from generate_series(1, ${count}::int) g`
      await tx`
        insert into orgs (name, status, created_by)
        select 'Chat org of ' || u.handle, 'committed', u.id from users u`
      await tx`
        insert into memberships (org_id, user_id, role)
        select o.id, o.created_by, 'owner' from orgs o`
      await tx`
        insert into projects (org_id, name, description)
        select o.id, 'Chat project', 'Seeded for bench:chat' from orgs o`
      await tx`
        insert into chat_sessions (user_id, project_id, expires_at)
        select o.created_by, p.id, now() + interval '1 day'
          from projects p join orgs o on o.id = p.org_id`
    })
    await admin`analyze`
    return await admin<SeededChat[]>`
      select c.id as "chatId", u.id as "userId", u.handle
        from chat_sessions c join users u on u.id = c.user_id
       order by u.handle`
  } finally {
    await admin.end()
  }
}

export interface ChatLimits {
  /** `max_connections_per_user`: streams per user on one instance. */
  maxConnectionsPerUser?: number
  /** `actions_per_minute`: action frames per stream in a sliding minute. */
  actionsPerMinute?: number
}

/**
 * Raises the chat config's limits where the benchmark needs more (a function loads its
 * config once at start: call before starting it). The version is left as it is, as
 * seed.ts's liftRateLimits does. Returns the limits in force afterwards.
 */
export async function liftChatLimits(
  adminUrl: string,
  wanted: ChatLimits,
): Promise<Required<ChatLimits>> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  try {
    const [row] = await admin<{ data: Record<string, unknown> }[]>`
      select data from service_configs where service = 'chat'`
    if (!row) throw new Error('no chat config in service_configs')
    // The schema's defaults for rows written without them.
    const current = {
      maxConnectionsPerUser: Number(row.data.max_connections_per_user ?? 5),
      actionsPerMinute: Number(row.data.actions_per_minute ?? 60),
    }
    const next = {
      maxConnectionsPerUser: Math.max(
        current.maxConnectionsPerUser,
        wanted.maxConnectionsPerUser ?? 0,
      ),
      actionsPerMinute: Math.max(current.actionsPerMinute, wanted.actionsPerMinute ?? 0),
    }
    if (
      next.maxConnectionsPerUser !== current.maxConnectionsPerUser ||
      next.actionsPerMinute !== current.actionsPerMinute
    ) {
      const data = {
        ...row.data,
        max_connections_per_user: next.maxConnectionsPerUser,
        actions_per_minute: next.actionsPerMinute,
      }
      await admin`update service_configs set data = ${admin.json(data)} where service = 'chat'`
    }
    return next
  } finally {
    await admin.end()
  }
}
