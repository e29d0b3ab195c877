/**
 * The routes the scenarios call, as they are tagged: method and route pattern, written as
 * the server labels its own metrics (`http_requests_total{route="/v1/orgs/:orgId"}`), so
 * a load-test figure and a dashboard panel name the same thing. The tag is also k6's
 * `name`, so one request per id does not become one series per id.
 */
export const ROUTES = {
  guestSignIn: 'POST /v1/auth/guest',
  refresh: 'POST /v1/auth/refresh',
  clientToken: 'POST /v1/auth/token',
  createOrg: 'POST /v1/orgs',
  listOrgs: 'GET /v1/orgs',
  deleteOrg: 'DELETE /v1/orgs/:orgId',
  createProject: 'POST /v1/orgs/:orgId/projects',
  listProjects: 'GET /v1/orgs/:orgId/projects',
  listActions: 'GET /v1/chat/actions',
  openChat: 'POST /v1/projects/:projectId/chats',
  createTicket: 'POST /v1/chats/:chatId/tickets',
  closeChat: 'DELETE /v1/chats/:chatId',
  chatSocket: 'GET /v1/chats/:chatId/ws',
  listConfigs: 'GET /v1/configs',
  getConfig: 'GET /v1/configs/:service',
  putConfig: 'PUT /v1/configs/:service',
  readyz: 'GET /readyz',
} as const

export type RouteName = (typeof ROUTES)[keyof typeof ROUTES]
