import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

/**
 * The image's rules, read from the Dockerfile itself (no Docker engine runs here): a
 * FUNCTION build argument, base images pinned to a release, and a final stage that runs
 * as a non-root numeric user, holds no package manager and copies nothing but the built
 * bundle. Each rule is shown to fail on a Dockerfile that breaks it.
 */

const root = fileURLToPath(new URL('..', import.meta.url))
const DOCKERFILE = readFileSync(`${root}Dockerfile`, 'utf8')
const DOCKERIGNORE = readFileSync(`${root}.dockerignore`, 'utf8')

interface Instruction {
  keyword: string
  args: string
  line: number
}

interface Stage {
  base: string
  name: string | undefined
  instructions: Instruction[]
}

/** Instructions, with `\` continuations joined and comment lines (also inside them) dropped. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = []
  let pending: { parts: string[]; line: number } | undefined
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim()
    if (trimmed.startsWith('#') || (trimmed === '' && pending === undefined)) return
    const continued = trimmed.endsWith('\\')
    const part = continued ? trimmed.slice(0, -1) : trimmed
    pending ??= { parts: [], line: index + 1 }
    pending.parts.push(part)
    if (continued) return
    const joined = pending.parts.join(' ').trim()
    const [keyword = '', ...rest] = joined.split(/\s+/)
    out.push({ keyword: keyword.toUpperCase(), args: rest.join(' '), line: pending.line })
    pending = undefined
  })
  return out
}

function stages(text: string): { globalArgs: Instruction[]; stages: Stage[] } {
  const globalArgs: Instruction[] = []
  const list: Stage[] = []
  for (const instruction of instructions(text)) {
    if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(/\s+/).filter((w) => !w.startsWith('--'))
      const as = words.findIndex((w) => w.toUpperCase() === 'AS')
      list.push({
        base: words[0] ?? '',
        name: as >= 0 ? words[as + 1]?.toLowerCase() : undefined,
        instructions: [],
      })
    } else if (list.length === 0) {
      globalArgs.push(instruction)
    } else {
      list.at(-1)?.instructions.push(instruction)
    }
  }
  return { globalArgs, stages: list }
}

const PACKAGE_MANAGERS = /(^|[\s;&|(`"'[,])(npm|npx|yarn|yarnpkg|pnpm|corepack)(?=[\s;&|)`"',\]]|$)/
/** What a final image built FROM a node image must delete: every package manager it ships. */
const NODE_IMAGE_TOOLS = [
  '/usr/local/lib/node_modules',
  '/usr/local/bin/npm',
  '/usr/local/bin/npx',
  '/usr/local/bin/corepack',
  '/usr/local/bin/yarn',
]

/** A reference is pinned when it names an exact version (x.y.z…) or a digest, never `latest`. */
function unpinned(reference: string): string | undefined {
  const [nameAndTag = '', digest] = reference.split('@')
  const slash = nameAndTag.lastIndexOf('/')
  const colon = nameAndTag.lastIndexOf(':')
  const tag = colon > slash ? nameAndTag.slice(colon + 1) : undefined
  if (tag === 'latest') return `${reference} uses the latest tag`
  if (digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(digest)) {
    return `${reference} has a malformed digest`
  }
  if (tag === undefined && digest === undefined) return `${reference} has no tag`
  if (tag !== undefined && !/^v?\d+\.\d+\.\d+/.test(tag) && digest === undefined) {
    return `${reference} is not pinned to an exact version (x.y.z) or a digest`
  }
  return undefined
}

/** Every rule the Dockerfile breaks, one line each. */
function dockerfileProblems(text: string): string[] {
  const problems: string[] = []
  const { globalArgs, stages: list } = stages(text)
  const final = list.at(-1)
  if (!final) return ['no FROM instruction']
  const names = new Set(list.map((stage) => stage.name).filter((n) => n !== undefined))

  for (const stage of list) {
    if (names.has(stage.base.toLowerCase()) || stage.base === 'scratch') continue
    if (stage.base.includes('$')) {
      problems.push(`FROM ${stage.base}: write the base image out, so its pin can be checked`)
      continue
    }
    const why = unpinned(stage.base)
    if (why) problems.push(`FROM ${why}`)
  }

  const args = [...globalArgs, ...list.flatMap((stage) => stage.instructions)]
  if (!args.some((i) => i.keyword === 'ARG' && /^FUNCTION(=|$)/.test(i.args))) {
    problems.push('no FUNCTION build argument')
  }
  if (!final.instructions.some((i) => i.keyword === 'ARG' && /^FUNCTION(=|$)/.test(i.args))) {
    problems.push('the final stage does not declare ARG FUNCTION, so it cannot pick the bundle')
  }

  const users = final.instructions.filter((i) => i.keyword === 'USER')
  const user = users.at(-1)?.args.split(':')[0]
  if (user === undefined) problems.push('the final stage has no USER (it would run as root)')
  else if (!/^\d+$/.test(user)) problems.push(`the final stage runs as ${user}, not a numeric uid`)
  else if (Number(user) === 0) problems.push('the final stage runs as root (uid 0)')

  for (const i of final.instructions) {
    if (!['RUN', 'ENTRYPOINT', 'CMD'].includes(i.keyword)) continue
    // The one command allowed to name them is the one deleting them.
    const commands = i.args.split(/;|&&|\|\|/).filter((c) => !/^\s*rm\s/.test(c))
    if (commands.some((c) => PACKAGE_MANAGERS.test(c))) {
      problems.push(`line ${i.line}: the final stage runs a package manager (${i.keyword})`)
    }
  }
  if (/^node:/.test(baseImageOf(final, list))) {
    const removal = final.instructions
      .filter((i) => i.keyword === 'RUN')
      .flatMap((i) => i.args.split(/;|&&/))
      .filter((c) => /^\s*rm\s/.test(c))
      .join(' ')
    for (const tool of NODE_IMAGE_TOOLS) {
      if (!removal.includes(tool)) problems.push(`the final stage keeps ${tool} of the node image`)
    }
  }

  for (const i of final.instructions.filter((i) => ['COPY', 'ADD'].includes(i.keyword))) {
    const words = i.args.split(/\s+/)
    const from = words.find((w) => w.startsWith('--from='))
    const paths = words.filter((w) => !w.startsWith('--'))
    const sources = paths.slice(0, -1)
    if (i.keyword === 'ADD' || !from) {
      problems.push(`line ${i.line}: the final stage copies from outside the build stage`)
    } else if (sources.some((s) => !/\/dist\/\$\{?FUNCTION\}?\/?$/.test(s))) {
      problems.push(`line ${i.line}: the final stage copies more than dist/<FUNCTION>/`)
    }
  }

  const entrypoint = final.instructions.filter((i) => i.keyword === 'ENTRYPOINT').at(-1)
  const exec = entrypoint ? parseExecForm(entrypoint.args) : undefined
  if (exec?.[0] !== 'node' || !exec.at(-1)?.endsWith('index.mjs')) {
    problems.push('the entrypoint is not the exec form ["node", …/index.mjs]')
  }
  if (!final.instructions.some((i) => i.keyword === 'EXPOSE' && /\b8080\b/.test(i.args))) {
    problems.push('the final stage does not EXPOSE 8080')
  }
  return problems
}

/** The external image a stage finally rests on, following FROM <stage> links. */
function baseImageOf(stage: Stage, list: Stage[]): string {
  let current: Stage | undefined = stage
  for (let hops = 0; current && hops < list.length; hops++) {
    const base: string = current.base
    const parent = list.find((s) => s.name === base.toLowerCase())
    if (!parent) return base
    current = parent
  }
  return ''
}

function parseExecForm(args: string): string[] | undefined {
  try {
    const value: unknown = JSON.parse(args)
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined
  } catch {
    return undefined
  }
}

function dockerignoreProblems(text: string): string[] {
  const entries = new Set(
    text
      .split('\n')
      .map((line) => line.trim().replace(/^\/|\/$/g, ''))
      .filter((line) => line !== '' && !line.startsWith('#')),
  )
  return ['node_modules', '.data', 'dist', '.git']
    .filter((entry) => !entries.has(entry))
    .map((entry) => `.dockerignore does not exclude ${entry}`)
}

/** The Dockerfile with one line replaced, failing loudly when the line is not there. */
function mutate(search: RegExp, replacement: string): string {
  expect(DOCKERFILE, `the Dockerfile has no line matching ${search}`).toMatch(search)
  return DOCKERFILE.replace(search, replacement)
}

describe('Dockerfile', () => {
  it('keeps every rule', () => {
    expect(dockerfileProblems(DOCKERFILE)).toEqual([])
  })

  it('the final stage runs the bundle of the FUNCTION build argument', () => {
    const final = stages(DOCKERFILE).stages.at(-1)
    const copy = final?.instructions.find((i) => i.keyword === 'COPY')
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile's ${…}, not JavaScript's
    expect(copy?.args, DOCKERFILE).toContain('/dist/${FUNCTION}/')
    const workdir = final?.instructions.filter((i) => i.keyword === 'WORKDIR').at(-1)
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile's ${…}, not JavaScript's
    expect(workdir?.args).toBe('/app/dist/${FUNCTION}')
  })

  it('.dockerignore keeps host installs, builds and data out of the context', () => {
    expect(dockerignoreProblems(DOCKERIGNORE)).toEqual([])
    expect(dockerignoreProblems('dist\n.git\n')).toEqual([
      '.dockerignore does not exclude node_modules',
      '.dockerignore does not exclude .data',
    ])
  })
})

describe('Dockerfile rules fail on a Dockerfile that breaks them', () => {
  const cases: [string, string, RegExp][] = [
    ['root user', mutate(/^USER 65532:65532$/m, 'USER root'), /runs as root, not a numeric uid/],
    ['uid 0', mutate(/^USER 65532:65532$/m, 'USER 0'), /runs as root \(uid 0\)/],
    ['no user', mutate(/^USER 65532:65532$/m, ''), /has no USER/],
    [
      'latest base image',
      mutate(/^FROM node:[^\s]+ AS node$/m, 'FROM node:latest AS node'),
      /latest tag/,
    ],
    [
      'major-only tag without digest',
      mutate(/^FROM node:[^\s]+ AS node$/m, 'FROM node:24-slim AS node'),
      /not pinned to an exact version/,
    ],
    ['no FUNCTION argument', DOCKERFILE.replaceAll(/^ARG FUNCTION$/gm, 'ARG OTHER'), /FUNCTION/],
    [
      'npm in the final stage',
      mutate(/^USER 65532:65532$/m, 'RUN npm install --global left-pad\nUSER 65532:65532'),
      /runs a package manager/,
    ],
    ['npm kept', mutate(/\/usr\/local\/bin\/npm /, ''), /keeps \/usr\/local\/bin\/npm/],
    [
      'the whole source copied',
      mutate(/^USER 65532:65532$/m, 'COPY --from=build /home/node/src/ /app/\nUSER 65532:65532'),
      /copies more than dist/,
    ],
    [
      'a file from the context',
      mutate(/^USER 65532:65532$/m, 'COPY package.json /app/\nUSER 65532:65532'),
      /copies from outside the build stage/,
    ],
    ['shell-form entrypoint', mutate(/^ENTRYPOINT .*$/m, 'ENTRYPOINT node index.mjs'), /exec form/],
    ['no port', mutate(/^EXPOSE 8080$/m, ''), /EXPOSE 8080/],
  ]
  it.each(cases)('%s', (_name, text, problem) => {
    const problems = dockerfileProblems(text)
    expect(
      problems.some((p) => problem.test(p)),
      problems.join('\n'),
    ).toBe(true)
  })
})
