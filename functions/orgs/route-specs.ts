import * as v from 'valibot'
import { PageQuery } from '#shared/http/pagination.ts'
import type { RouteSpec } from '#shared/http/route-spec.ts'
import { Body as CreateInviteBody } from './routes/create-invite.ts'
import { Body as CreateOrgBody } from './routes/create-org.ts'
import { Body as UpdateMemberBody } from './routes/update-member.ts'
import { Body as UpdateOrgBody } from './routes/update-org.ts'

/** The orgs function's routes for the OpenAPI document (a test checks none is missing). */

const Role = v.picklist(['owner', 'admin', 'member'])
const Timestamp = v.pipe(v.string(), v.isoTimestamp())
const Id = v.pipe(v.string(), v.uuid())

const OrgSchema = v.object({
  id: Id,
  name: v.string(),
  status: v.picklist(['pending', 'committed', 'failed']),
  role: Role,
  created_at: Timestamp,
})
const MemberSchema = v.object({ user_id: Id, handle: v.string(), role: Role, joined_at: Timestamp })
const page = <S extends v.GenericSchema>(item: S) =>
  v.object({ items: v.array(item), next_cursor: v.nullable(v.string()) })

const base = { tag: 'orgs', auth: 'user' } as const

export const ORGS_ROUTES: RouteSpec[] = [
  {
    ...base,
    method: 'post',
    path: '/v1/orgs',
    summary:
      'Create an org; the caller is its owner (a saga: status committed, or failed and compensated)',
    body: CreateOrgBody,
    idempotent: true,
    response: { status: 201, description: 'The org', schema: OrgSchema },
    errors: [],
  },
  {
    ...base,
    method: 'get',
    path: '/v1/orgs',
    summary: "The caller's orgs, each with the caller's role",
    query: PageQuery,
    response: { status: 200, description: 'A page of orgs', schema: page(OrgSchema) },
    errors: ['INVALID_CURSOR'],
  },
  {
    ...base,
    method: 'get',
    path: '/v1/orgs/:orgId',
    summary: 'Read an org (members)',
    response: { status: 200, description: 'The org', schema: OrgSchema },
    errors: ['ORG_NOT_FOUND'],
  },
  {
    ...base,
    method: 'patch',
    path: '/v1/orgs/:orgId',
    summary: 'Rename an org (admins)',
    body: UpdateOrgBody,
    response: { status: 200, description: 'The org', schema: OrgSchema },
    errors: ['ORG_NOT_FOUND'],
  },
  {
    ...base,
    method: 'delete',
    path: '/v1/orgs/:orgId',
    summary: 'Delete an org with its projects and chats (owners)',
    response: { status: 204, description: 'Deleted' },
    errors: ['ORG_NOT_FOUND', 'UNAVAILABLE'],
  },
  {
    ...base,
    method: 'get',
    path: '/v1/orgs/:orgId/members',
    summary: 'List the members of an org (members)',
    query: PageQuery,
    response: { status: 200, description: 'A page of members', schema: page(MemberSchema) },
    errors: ['ORG_NOT_FOUND', 'INVALID_CURSOR'],
  },
  {
    ...base,
    method: 'patch',
    path: '/v1/orgs/:orgId/members/:userId',
    summary: "Change a member's role (owners)",
    body: UpdateMemberBody,
    response: { status: 200, description: 'The membership', schema: MemberSchema },
    errors: ['ORG_NOT_FOUND', 'MEMBER_NOT_FOUND', 'LAST_OWNER'],
  },
  {
    ...base,
    method: 'delete',
    path: '/v1/orgs/:orgId/members/:userId',
    summary: 'Remove a member (admins), or leave the org',
    response: { status: 204, description: 'Removed' },
    errors: ['ORG_NOT_FOUND', 'MEMBER_NOT_FOUND', 'LAST_OWNER'],
  },
  {
    ...base,
    method: 'post',
    path: '/v1/orgs/:orgId/invites',
    summary: 'Create a single-use invite valid for 7 days (admins)',
    body: CreateInviteBody,
    idempotent: true,
    response: {
      status: 201,
      description: 'The invite code (shown once)',
      schema: v.object({
        code: v.string(),
        role: v.picklist(['admin', 'member']),
        expires_at: Timestamp,
      }),
    },
    errors: ['ORG_NOT_FOUND'],
  },
  {
    ...base,
    method: 'post',
    path: '/v1/invites/:code/accept',
    summary: 'Join an org with an invite code',
    idempotent: true,
    response: {
      status: 200,
      description: 'The membership',
      schema: v.object({ org_id: Id, role: Role }),
    },
    errors: ['INVITE_NOT_FOUND', 'INVITE_EXPIRED', 'ALREADY_MEMBER'],
  },
]
