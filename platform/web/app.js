// @ts-check
// The chat page's one script (served by platform/web.ts; API.md "auth", "orgs",
// "projects", "chat"). Plain JS, no build step. Server data only ever reaches the DOM
// through textContent and attributes: the page's CSP requires Trusted Types with no
// policy, so an HTML sink would throw.

const SESSION_KEY = 'tenantry.session'
/** The org and project last chosen, so that a reload comes back to them. */
const PLACE_KEY = 'tenantry.place'
/** Refresh the access token when less than this is left of it. */
const REFRESH_MARGIN_MS = 60_000
const BACKOFF_BASE_MS = 500
const BACKOFF_CAP_MS = 15_000
/** A socket open this long was a good connection: the next drop starts the backoff over. */
const STABLE_MS = 10_000
/** Lists are read whole, up to this many pages of 100. */
const MAX_PAGES = 10

/** @param {string} id */
function byId(id) {
  const found = document.getElementById(id)
  if (!found) throw new Error(`#${id} is missing from index.html`)
  return found
}
const ui = {
  status: byId('status'),
  error: byId('error'),
  who: byId('who'),
  signIn: /** @type {HTMLButtonElement} */ (byId('sign-in')),
  signOut: /** @type {HTMLButtonElement} */ (byId('sign-out')),
  orgs: byId('orgs'),
  orgSelect: /** @type {HTMLSelectElement} */ (byId('org-select')),
  orgForm: /** @type {HTMLFormElement} */ (byId('org-form')),
  projects: byId('projects'),
  projectSelect: /** @type {HTMLSelectElement} */ (byId('project-select')),
  projectForm: /** @type {HTMLFormElement} */ (byId('project-form')),
  chats: byId('chats'),
  newChat: /** @type {HTMLButtonElement} */ (byId('new-chat')),
  chatLimit: byId('chat-limit'),
  chatList: byId('chat-list'),
  chat: byId('chat'),
  chatTitle: byId('chat-title'),
  actions: byId('actions'),
  transcript: byId('transcript'),
  leaveChat: /** @type {HTMLButtonElement} */ (byId('leave-chat')),
}

/** An API error: its problem+json, or what stood in for one. */
class ApiProblem extends Error {
  /** @param {number} status @param {any} problem @param {string | null} [retryAfter] */
  constructor(status, problem, retryAfter) {
    super(String(problem?.detail ?? problem?.title ?? `The server answered ${status}.`))
    this.status = status
    /** @type {string | undefined} */
    this.code = typeof problem?.code === 'string' ? problem.code : undefined
    this.retryAfter = retryAfter ?? undefined
  }
}

/** Random hex, for Idempotency-Keys and frame ids (crypto.randomUUID needs a secure context). */
function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

// Session ------------------------------------------------------------------------------

/** @typedef {{ accessToken: string, refreshToken: string, expiresAt: number, handle: string }} Session */

/** @type {Session | null} */
let session = readSession()

/** @returns {Session | null} */
function readSession() {
  try {
    const kept = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null')
    return typeof kept?.accessToken === 'string' && typeof kept?.refreshToken === 'string'
      ? kept
      : null
  } catch {
    return null
  }
}

/** @param {any} tokens a 201 of /v1/auth/guest or a 200 of /v1/auth/refresh */
function keepSession(tokens) {
  session = {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    expiresAt: Date.now() + tokens.expires_in * 1000,
    handle: tokens.user?.handle ?? session?.handle ?? '',
  }
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session))
}

/** @type {Promise<void> | undefined} */
let refreshing
/**
 * One refresh at a time: a refresh token works once, and using it twice revokes the
 * whole family (API.md "auth"), so concurrent 401s share the one in flight.
 */
function refresh() {
  refreshing ??= (async () => {
    const res = await fetch('/v1/auth/refresh', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: session?.refreshToken }),
    })
    if (res.status === 401) {
      const { code } = await problemOf(res)
      signOut()
      throw new ApiProblem(401, { detail: 'Your session has ended. Sign in again.', code })
    }
    if (!res.ok) throw await problemOf(res)
    keepSession(await res.json())
  })().finally(() => {
    refreshing = undefined
  })
  return refreshing
}

// HTTP ---------------------------------------------------------------------------------

/** @param {Response} res */
async function problemOf(res) {
  const body = await res.json().catch(() => undefined)
  return new ApiProblem(res.status, body, res.headers.get('Retry-After'))
}

/**
 * An API call as the signed-in user: the access token refreshed first when near its
 * expiry, and once more (then retried once) when the call answers 401 anyway. A POST
 * that creates something carries an Idempotency-Key, the same for the retry.
 * @param {string} method @param {string} path @param {unknown} [body]
 * @param {{ creates?: boolean }} [options]
 */
async function api(method, path, body, options = {}) {
  if (!session) throw new ApiProblem(401, { detail: 'Sign in first.' })
  if (session.expiresAt - Date.now() < REFRESH_MARGIN_MS) await refresh()
  const key = options.creates ? newId() : undefined
  const send = () => {
    /** @type {Record<string, string>} */
    const headers = { Authorization: `Bearer ${session?.accessToken}` }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    if (key) headers['Idempotency-Key'] = key
    const init = { method, headers, body: body === undefined ? null : JSON.stringify(body) }
    return fetch(path, init)
  }
  let res = await send()
  if (res.status === 401) {
    await refresh()
    res = await send()
  }
  if (!res.ok) throw await problemOf(res)
  return res.status === 204 ? undefined : res.json()
}

/** Every item of a list, page after page. @param {string} path */
async function listAll(path) {
  /** @type {any[]} */
  const items = []
  let cursor = null
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ limit: '100', ...(cursor ? { cursor } : {}) })
    const body = await api('GET', `${path}?${query}`)
    items.push(...body.items)
    cursor = body.next_cursor
    if (!cursor) break
  }
  return items
}

const segment = encodeURIComponent

// Page state ---------------------------------------------------------------------------

const state = {
  /** @type {string | null} */ orgId: null,
  /** @type {string | null} */ projectId: null,
  /** @type {any[]} */ catalog: [],
  /** @type {ChatConnection | null} */ connection: null,
}

function keepPlace() {
  sessionStorage.setItem(
    PLACE_KEY,
    JSON.stringify({ orgId: state.orgId, projectId: state.projectId }),
  )
}

/** @param {'orgId' | 'projectId'} key @returns {string | null} */
function keptPlace(key) {
  try {
    const kept = JSON.parse(sessionStorage.getItem(PLACE_KEY) ?? 'null')?.[key]
    return typeof kept === 'string' ? kept : null
  } catch {
    return null
  }
}

/** @param {unknown} error */
function showError(error) {
  let text = error instanceof Error ? error.message : String(error)
  if (error instanceof ApiProblem) {
    if (error.code) text += ` (${error.code})`
    if (error.retryAfter) text += ` Try again in ${error.retryAfter} s.`
  } else if (error instanceof TypeError) {
    text = `The server could not be reached: ${text}`
  }
  ui.error.textContent = text
  ui.error.hidden = false
}

/**
 * Runs `work` with its failure reported in the page; `button` (the control that started
 * it) is disabled meanwhile, so that a double click does not run it twice.
 * @param {HTMLButtonElement | null} button @param {() => Promise<void>} work
 */
function run(button, work) {
  ui.error.hidden = true
  if (button) button.disabled = true
  work()
    .catch(showError)
    .finally(() => {
      if (!button) return
      // An action's button stays usable only while the chat's socket is open.
      button.disabled = button.dataset.needsSocket ? !state.connection?.isOpen() : false
    })
}

/**
 * A handler for an event on the control itself (a button's click, a form's submit).
 * @template {Event} E
 * @param {(event: E) => Promise<void>} handler
 */
const guarded = (handler) => (/** @type {E} */ event) => {
  const control = event instanceof SubmitEvent ? event.submitter : event.currentTarget
  if (event.type === 'submit') event.preventDefault()
  run(control instanceof HTMLButtonElement ? control : null, () => handler(event))
}

/** @param {'idle' | 'connecting' | 'connected' | 'reconnecting' | 'gone'} name @param {string} text */
function setStatus(name, text) {
  ui.status.dataset.state = name
  ui.status.textContent = text
}

/**
 * @param {HTMLSelectElement} select @param {any[]} items @param {string} placeholder
 * @param {(item: any) => string} label @param {string | null} selected
 */
function fill(select, items, placeholder, label, selected) {
  const none = new Option(items.length ? placeholder : 'None yet: create one below', '')
  const options = items.map((item) => {
    const option = new Option(label(item), item.id)
    // An org whose creation failed (or is not done) has nothing to work in yet.
    option.disabled = item.status !== undefined && item.status !== 'committed'
    return option
  })
  select.replaceChildren(none, ...options)
  select.value = items.some((item) => item.id === selected) ? String(selected) : ''
}

// Account, orgs, projects --------------------------------------------------------------

async function signInAsGuest() {
  const res = await fetch('/v1/auth/guest', { method: 'POST' })
  if (!res.ok) throw await problemOf(res)
  keepSession(await res.json())
  await showSignedIn()
}

async function showSignedIn() {
  ui.who.textContent = `Signed in as ${session?.handle}.`
  ui.signIn.hidden = true
  ui.signOut.hidden = false
  ui.orgs.hidden = false
  await loadOrgs(null)
}

function signOut() {
  leaveChat()
  session = null
  sessionStorage.removeItem(SESSION_KEY)
  sessionStorage.removeItem(PLACE_KEY)
  state.orgId = null
  state.projectId = null
  ui.who.textContent = 'Not signed in.'
  ui.signIn.hidden = false
  ui.signOut.hidden = true
  for (const section of [ui.orgs, ui.projects, ui.chats]) section.hidden = true
}

/** @param {string | null} selected */
async function loadOrgs(selected) {
  const orgs = await listAll('/v1/orgs')
  const label = (/** @type {any} */ org) =>
    org.status === 'committed' ? `${org.name} (${org.role})` : `${org.name} (${org.status})`
  fill(ui.orgSelect, orgs, 'Choose an organization', label, selected ?? keptPlace('orgId'))
  if (ui.orgSelect.value) await selectOrg(ui.orgSelect.value)
}

/** @param {string} orgId */
async function selectOrg(orgId) {
  leaveChat()
  // The kept project stays until this org's projects are read: it may be one of them.
  state.orgId = orgId
  state.projectId = keptPlace('orgId') === orgId ? keptPlace('projectId') : null
  keepPlace()
  ui.chats.hidden = true
  ui.projects.hidden = false
  await loadProjects(null)
}

/** @param {string | null} selected */
async function loadProjects(selected) {
  const projects = await listAll(`/v1/orgs/${segment(String(state.orgId))}/projects`)
  const chosen = selected ?? keptPlace('projectId')
  fill(ui.projectSelect, projects, 'Choose a project', (p) => p.name, chosen)
  if (ui.projectSelect.value) await selectProject(ui.projectSelect.value)
}

/** @param {string} projectId */
async function selectProject(projectId) {
  leaveChat()
  state.projectId = projectId
  keepPlace()
  ui.chatLimit.hidden = true
  ui.chats.hidden = false
  await loadChats()
}

/** The form's one text field, trimmed. @param {HTMLFormElement} form */
const nameIn = (form) => String(new FormData(form).get('name') ?? '').trim()

// Chats --------------------------------------------------------------------------------

const shortId = (/** @type {string} */ id) => id.slice(0, 8)

async function loadChats() {
  const chats = await listAll(`/v1/projects/${segment(String(state.projectId))}/chats`)
  const open = state.connection?.chatId
  const items = chats.map((chat) => {
    const item = document.createElement('li')
    const until = new Date(chat.expires_at).toLocaleTimeString()
    const here = chat.id === open ? ', open here' : ''
    item.append(
      chat.status === 'active'
        ? `Chat ${shortId(chat.id)}: active until ${until}${here}`
        : `Chat ${shortId(chat.id)}: ${chat.status}`,
    )
    if (chat.status === 'active') {
      // The chat open here has nothing to open; reopening would only empty its transcript.
      const verbs =
        chat.id === open
          ? [['Close', 'close']]
          : [
              ['Open', 'open'],
              ['Close', 'close'],
            ]
      for (const [verb, data] of verbs) {
        const button = document.createElement('button')
        button.type = 'button'
        button.textContent = verb
        button.dataset[data] = chat.id
        button.setAttribute('aria-label', `${verb} chat ${shortId(chat.id)}`)
        item.append(button)
      }
    }
    return item
  })
  if (items.length === 0)
    items.push(Object.assign(document.createElement('li'), { textContent: 'No chats yet.' }))
  ui.chatList.replaceChildren(...items)
}

async function openNewChat() {
  ui.chatLimit.hidden = true
  let chat
  try {
    chat = await api('POST', `/v1/projects/${segment(String(state.projectId))}/chats`, undefined, {
      creates: true,
    })
  } catch (error) {
    if (!(error instanceof ApiProblem) || error.code !== 'CHAT_LIMIT_REACHED') throw error
    ui.chatLimit.textContent =
      'You already have as many active chats in this project as allowed. Close one of them below to open a new one.'
    ui.chatLimit.hidden = false
    await loadChats()
    return
  }
  await enterChat(chat.id)
}

/** @param {string} chatId */
async function closeChat(chatId) {
  // Closing the open chat from here is no surprise: leave it first, so its 4404 is not shown.
  if (state.connection?.chatId === chatId) leaveChat()
  await api('DELETE', `/v1/chats/${segment(chatId)}`)
  ui.chatLimit.hidden = true
  await loadChats()
}

/** @param {string} chatId */
async function enterChat(chatId) {
  leaveChat()
  // The catalog is config, live on the server: read it for every chat opened.
  state.catalog = (await api('GET', '/v1/chat/actions')).items
  ui.chatTitle.textContent = `Chat ${shortId(chatId)}`
  ui.transcript.replaceChildren()
  renderActions()
  ui.chat.hidden = false
  state.connection = new ChatConnection(chatId)
  state.connection.start()
  await loadChats()
}

function leaveChat() {
  state.connection?.stop()
  state.connection = null
  ui.chat.hidden = true
  setStatus('idle', 'not connected')
}

// The chat view ------------------------------------------------------------------------

/** One button per catalog action; an action with arguments is a form with their inputs. */
function renderActions() {
  const controls = state.catalog.map((action) => {
    const button = document.createElement('button')
    button.textContent = action.label
    button.title = action.description
    button.dataset.needsSocket = 'true'
    button.disabled = true
    const args = Object.entries(action.args ?? {})
    if (args.length === 0) {
      button.type = 'button'
      button.dataset.action = action.id
      return button
    }
    const form = document.createElement('form')
    form.dataset.action = action.id
    const fields = document.createElement('fieldset')
    const legend = document.createElement('legend')
    legend.textContent = action.label
    fields.append(legend)
    for (const [name, spec] of args) {
      const id = `arg-${action.id}-${name}`
      const label = document.createElement('label')
      label.htmlFor = id
      label.textContent = `${name} (${spec.minimum}–${spec.maximum})`
      const input = Object.assign(document.createElement('input'), {
        id,
        name,
        type: 'number',
        required: true,
        step: '1',
        min: String(spec.minimum),
        max: String(spec.maximum),
        value: String(spec.default),
      })
      const wrap = document.createElement('span')
      wrap.append(label, input)
      fields.append(wrap)
    }
    button.type = 'submit'
    fields.append(button)
    form.append(fields)
    return form
  })
  ui.actions.replaceChildren(...controls)
}

/** @param {boolean} open */
function enableActions(open) {
  for (const button of ui.actions.querySelectorAll('button')) button.disabled = !open
}

/** @param {string} id */
const labelOf = (id) => state.catalog.find((action) => action.id === id)?.label ?? id

/** @param {string} kind @param {string} text @param {Record<string, string>} [data] */
function addEntry(kind, text, data = {}) {
  const item = document.createElement('li')
  item.className = kind
  item.textContent = text
  Object.assign(item.dataset, data)
  ui.transcript.append(item)
  item.scrollIntoView({ block: 'nearest' })
}

/** A reply's payload in words, for the actions the page knows; JSON for any other. */
function describe(/** @type {string} */ action, /** @type {any} */ payload) {
  if (action === 'ping' && payload?.pong === true) return 'pong'
  if (action === 'time' && typeof payload?.now === 'string') return payload.now
  if (action === 'roll-dice' && Array.isArray(payload?.faces)) {
    return `${payload.count}d${payload.sides}: ${payload.faces.join(' + ')} = ${payload.total}`
  }
  if (action === 'help' && Array.isArray(payload?.actions)) {
    // One line per action, under the reply's own line.
    const lines = payload.actions.map((/** @type {any} */ a) => `${a.label}: ${a.description}`)
    return `\n${lines.join('\n')}`
  }
  return JSON.stringify(payload)
}

/** @param {string} action @param {Record<string, number>} args */
function sendAction(action, args) {
  const id = state.connection?.send(action, args)
  if (!id) throw new Error('Not connected: wait for the connection to come back.')
  const given = Object.entries(args).map(([name, value]) => `${name} ${value}`)
  addEntry('sent', `You: ${labelOf(action)}${given.length ? ` (${given.join(', ')})` : ''}`, {
    id,
  })
}

/** @type {Record<number, string>} */
const CLOSE_REASONS = {
  1006: 'connection lost',
  1008: 'not authorized',
  1011: 'server error',
  1012: 'server restarting',
  1013: 'server asked to slow down',
  4429: 'too many connections to this chat',
}

/**
 * The chat's WebSocket: a fresh one-time ticket for every connection, and after any
 * close but a normal one of ours or 4404, a reconnect with exponential backoff (capped,
 * with jitter) that resumes with `after=<last seq seen>`, so that replies sent while it
 * was away are replayed; a reply at or below that sequence is a duplicate and dropped.
 */
class ChatConnection {
  /** @param {string} chatId */
  constructor(chatId) {
    this.chatId = chatId
    /** @type {number | null} */
    this.lastSeq = null
    this.attempt = 0
    /** @type {WebSocket | null} */
    this.socket = null
    this.openedAt = 0
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined
    this.stopped = false
  }

  start() {
    this.connect().catch(showError)
  }

  isOpen() {
    return this.socket?.readyState === WebSocket.OPEN
  }

  async connect() {
    this.timer = undefined
    setStatus(
      this.attempt === 0 ? 'connecting' : 'reconnecting',
      this.attempt === 0 ? 'connecting…' : 'reconnecting…',
    )
    let ticket
    try {
      ticket = (await api('POST', `/v1/chats/${segment(this.chatId)}/tickets`)).ticket
    } catch (error) {
      if (this.stopped) return
      if (error instanceof ApiProblem && error.code === 'CHAT_NOT_FOUND') return this.gone()
      if (!session) return leaveChat()
      showError(error)
      return this.retry('no ticket')
    }
    if (this.stopped) return
    const url = new URL(`/v1/chats/${segment(this.chatId)}/ws`, location.href)
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:'
    url.searchParams.set('ticket', ticket)
    if (this.lastSeq !== null) url.searchParams.set('after', String(this.lastSeq))
    const socket = new WebSocket(url)
    this.socket = socket
    socket.addEventListener('open', () => {
      if (this.socket !== socket) return
      this.openedAt = Date.now()
      setStatus('connected', 'connected')
      enableActions(true)
    })
    socket.addEventListener('message', (event) => {
      if (this.socket === socket) this.receive(event.data)
    })
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return
      this.socket = null
      enableActions(false)
      if (this.stopped) return
      if (event.code === 4404) return this.gone()
      if (this.openedAt && Date.now() - this.openedAt > STABLE_MS) this.attempt = 0
      this.openedAt = 0
      this.retry(CLOSE_REASONS[event.code] ?? `closed with ${event.code}`)
    })
  }

  /** @param {string} reason */
  retry(reason) {
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** this.attempt)
    const delay = ceiling / 2 + (Math.random() * ceiling) / 2
    this.attempt += 1
    setStatus('reconnecting', `reconnecting in ${Math.ceil(delay / 1000)} s (${reason})`)
    this.timer = setTimeout(() => this.connect().catch(showError), delay)
  }

  /** @param {unknown} data */
  receive(data) {
    let frame
    try {
      frame = JSON.parse(String(data))
    } catch {
      return addEntry('error', 'The server sent a frame this page cannot read.')
    }
    if (frame?.type === 'reply' && Number.isInteger(frame.seq)) {
      if (this.lastSeq !== null && frame.seq <= this.lastSeq) return
      this.lastSeq = frame.seq
      const text = `#${frame.seq} ${labelOf(frame.action)}: ${describe(frame.action, frame.payload)}`
      addEntry('reply', text, { seq: String(frame.seq), inReplyTo: String(frame.in_reply_to) })
    } else if (frame?.type === 'error') {
      const about =
        typeof frame.in_reply_to === 'string' ? ` (${frame.in_reply_to.slice(0, 8)})` : ''
      addEntry('error', `Refused${about}: ${frame.code}`, { code: String(frame.code) })
    } else if (frame?.type === 'resync') {
      this.resync(frame.after)
    }
  }

  /**
   * The server no longer holds the replies after the sequence asked for: the view is
   * reloaded (catalog, chats, an empty transcript) rather than shown with a hole in it,
   * and replies count on from `after`, the point the server has moved to.
   * @param {unknown} after
   */
  resync(after) {
    this.lastSeq = Number.isInteger(after) ? /** @type {number} */ (after) : null
    ui.transcript.replaceChildren()
    addEntry('notice', 'Earlier replies are no longer available: the view was reloaded.')
    void Promise.all([
      api('GET', '/v1/chat/actions').then((body) => {
        state.catalog = body.items
        renderActions()
        enableActions(this.isOpen())
      }),
      loadChats(),
    ]).catch(showError)
  }

  /** @param {string} action @param {Record<string, number>} args */
  send(action, args) {
    if (!this.socket || !this.isOpen()) return undefined
    const id = newId()
    this.socket.send(JSON.stringify({ type: 'action', id, action, args }))
    return id
  }

  gone() {
    this.stop()
    setStatus('gone', 'chat gone')
    addEntry('notice', 'This chat is gone: it was closed or it expired. Open a new one to go on.')
    void loadChats().catch(showError)
  }

  stop() {
    this.stopped = true
    clearTimeout(this.timer)
    const socket = this.socket
    this.socket = null
    socket?.close(1000)
    enableActions(false)
  }
}

// Wiring -------------------------------------------------------------------------------

ui.signIn.addEventListener('click', guarded(signInAsGuest))
ui.signOut.addEventListener('click', () => signOut())
ui.orgSelect.addEventListener(
  'change',
  guarded(async () => {
    if (ui.orgSelect.value) await selectOrg(ui.orgSelect.value)
  }),
)
ui.orgForm.addEventListener(
  'submit',
  guarded(async () => {
    const org = await api('POST', '/v1/orgs', { name: nameIn(ui.orgForm) }, { creates: true })
    ui.orgForm.reset()
    await loadOrgs(org.id)
  }),
)
ui.projectSelect.addEventListener(
  'change',
  guarded(async () => {
    if (ui.projectSelect.value) await selectProject(ui.projectSelect.value)
  }),
)
ui.projectForm.addEventListener(
  'submit',
  guarded(async () => {
    const path = `/v1/orgs/${segment(String(state.orgId))}/projects`
    const project = await api('POST', path, { name: nameIn(ui.projectForm) }, { creates: true })
    ui.projectForm.reset()
    await loadProjects(project.id)
  }),
)
ui.newChat.addEventListener('click', guarded(openNewChat))
// Delegated: only a click on one of the buttons is handled (and disables that button).
ui.chatList.addEventListener('click', (event) => {
  const button = event.target
  if (!(button instanceof HTMLButtonElement)) return
  const { open, close } = button.dataset
  if (open) run(button, () => enterChat(open))
  if (close) run(button, () => closeChat(close))
})
ui.leaveChat.addEventListener('click', () => leaveChat())
ui.actions.addEventListener('click', (event) => {
  const button = event.target
  const action = button instanceof HTMLButtonElement ? button.dataset.action : undefined
  if (action) run(/** @type {HTMLButtonElement} */ (button), async () => sendAction(action, {}))
})
// Submitted only once the browser's own checks of the inputs (integer, min, max) pass.
ui.actions.addEventListener('submit', (event) => {
  event.preventDefault()
  const form = event.target
  if (!(form instanceof HTMLFormElement) || !form.dataset.action) return
  const action = form.dataset.action
  /** @type {Record<string, number>} */
  const args = {}
  for (const input of form.querySelectorAll('input')) args[input.name] = Number(input.value)
  const submitter = event.submitter instanceof HTMLButtonElement ? event.submitter : null
  run(submitter, async () => sendAction(action, args))
})

if (session) run(null, showSignedIn)
