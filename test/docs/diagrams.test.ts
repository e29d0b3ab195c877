import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { JSDOM } from 'jsdom'
import { beforeAll, describe, expect, it } from 'vitest'
import { fences, filesUnder, links, markdownDocs, ROOT } from './markdown.ts'

/**
 * Every diagram of the docs parses with Mermaid's own parser (the one GitHub's renderer
 * runs): each `.mmd` file in the repository and each ```mermaid fence in docs/**\/*.md,
 * README.md and SECURITY.md. Mermaid needs a DOM even to parse, so jsdom provides one
 * before mermaid is imported. Parsing is what is checked, not rendering: layout needs a
 * real browser's text measurement. A page that embeds a diagram file names it on the
 * fence's first line (`%% source: <path>`), and that copy must equal the file.
 */

type Parse = (text: string) => Promise<{ diagramType: string }>
let parse: Parse

beforeAll(async () => {
  const dom = new JSDOM('<!doctype html><html><body></body></html>')
  Object.assign(globalThis, { window: dom.window, document: dom.window.document })
  const { default: mermaid } = await import('mermaid')
  mermaid.initialize({ startOnLoad: false })
  parse = (text) => mermaid.parse(text) as Promise<{ diagramType: string }>
})

/** The parser's refusal, or undefined when the diagram parses. */
async function refusal(text: string): Promise<string | undefined> {
  try {
    await parse(text)
    return undefined
  } catch (error) {
    return error instanceof Error ? error.message.split('\n').slice(0, 4).join('\n') : 'refused'
  }
}

interface Diagram {
  where: string
  text: string
}

async function allDiagrams(): Promise<Diagram[]> {
  const out: Diagram[] = []
  for (const file of await filesUnder('.', '.mmd')) {
    out.push({ where: file, text: await readFile(join(ROOT, file), 'utf8') })
  }
  for (const file of await markdownDocs()) {
    if (!existsSync(join(ROOT, file))) continue
    for (const fence of fences(await readFile(join(ROOT, file), 'utf8'))) {
      if (fence.lang === 'mermaid') out.push({ where: `${file}:${fence.line}`, text: fence.body })
    }
  }
  return out
}

const DIAGRAMS_DIR = 'docs/architecture/diagrams'
const EXPECTED = [
  'system-context.mmd',
  'containers.mmd',
  'deployment-flow.mmd',
  'data-flow.mmd',
  'config-hot-reload.mmd',
]

describe('Mermaid diagrams in the docs', () => {
  it('include the five architecture diagrams', async () => {
    const files = (await filesUnder(DIAGRAMS_DIR, '.mmd')).map((file) => basename(file))
    for (const name of EXPECTED) expect(files, `${DIAGRAMS_DIR}/${name}`).toContain(name)
  })

  it('every one parses', async () => {
    const diagrams = await allDiagrams()
    // The five files, and the fences the architecture pages embed.
    expect(diagrams.length).toBeGreaterThan(EXPECTED.length)
    const problems: string[] = []
    for (const { where, text } of diagrams) {
      const why = await refusal(text)
      if (why !== undefined) problems.push(`${where}: ${why}`)
    }
    expect(problems, problems.join('\n\n')).toEqual([])
  })

  it('every .mmd file is linked from a page of the docs', async () => {
    const linked = new Set<string>()
    for (const file of await filesUnder('docs', '.md')) {
      for (const { target } of links(await readFile(join(ROOT, file), 'utf8'))) {
        if (target.endsWith('.mmd')) linked.add(basename(target))
      }
    }
    const files = await filesUnder(DIAGRAMS_DIR, '.mmd')
    const orphans = files.filter((file) => !linked.has(basename(file)))
    expect(orphans, `not linked from any docs page: ${orphans.join(', ')}`).toEqual([])
  })
})

const SOURCE = /^%% source: (\S+)\s*$/

/** The file a mermaid fence says it copies (its first line), if it says so. */
function sourceOf(body: string): string | undefined {
  return SOURCE.exec(body.split('\n')[0] ?? '')?.[1]
}

/** A document's embedded copies that no longer equal the file they name. */
async function staleCopies(file: string, markdown: string): Promise<string[]> {
  const problems: string[] = []
  for (const fence of fences(markdown)) {
    const source = sourceOf(fence.body)
    if (fence.lang !== 'mermaid' || source === undefined) continue
    const path = join(ROOT, source)
    if (!existsSync(path)) problems.push(`${file}:${fence.line}: ${source} does not exist`)
    else if ((await readFile(path, 'utf8')).trimEnd() !== fence.body.trimEnd()) {
      problems.push(`${file}:${fence.line}: differs from ${source}; paste the file again`)
    }
  }
  return problems
}

async function readDocs(): Promise<{ file: string; markdown: string }[]> {
  const out: { file: string; markdown: string }[] = []
  for (const file of await markdownDocs()) {
    const path = join(ROOT, file)
    if (existsSync(path)) out.push({ file, markdown: await readFile(path, 'utf8') })
  }
  return out
}

describe('embedded copies of the diagram files', () => {
  it('are exact copies of the file they name', async () => {
    const problems: string[] = []
    for (const { file, markdown } of await readDocs()) {
      problems.push(...(await staleCopies(file, markdown)))
    }
    expect(problems, problems.join('\n')).toEqual([])
  })

  it('embed each of the five files somewhere', async () => {
    const embedded = new Set<string>()
    for (const { markdown } of await readDocs()) {
      for (const fence of fences(markdown)) {
        const source = sourceOf(fence.body)
        if (fence.lang === 'mermaid' && source) embedded.add(basename(source))
      }
    }
    for (const name of EXPECTED) expect([...embedded], name).toContain(name)
  })

  it('catch a copy that drifted from its file, or names a missing one', async () => {
    const file = `${DIAGRAMS_DIR}/containers.mmd`
    const exact = await readFile(join(ROOT, file), 'utf8')
    const page = (body: string) => `# Page\n\n\`\`\`mermaid\n${body.trimEnd()}\n\`\`\`\n`
    expect(await staleCopies('page.md', page(exact))).toEqual([])
    expect(await staleCopies('page.md', page(exact.replace('always on', 'scale to zero')))).toEqual(
      [`page.md:3: differs from ${file}; paste the file again`],
    )
    expect(
      await staleCopies('page.md', page('%% source: docs/none.mmd\nflowchart LR\n  a --> b')),
    ).toEqual(['page.md:3: docs/none.mmd does not exist'])
  })
})

describe('the diagram check', () => {
  it('refuses a broken diagram of each kind the docs use', async () => {
    // Real diagrams with one defect each, so a parser that accepted anything would fail here.
    for (const name of ['containers.mmd', 'config-hot-reload.mmd']) {
      const text = await readFile(join(ROOT, DIAGRAMS_DIR, name), 'utf8')
      expect(await refusal(text), `${name} as committed`).toBeUndefined()
      const broken = `${text.trimEnd()}\n  this line --> is not mermaid -->\n`
      expect(await refusal(broken), `${name} with a broken line`).toBeDefined()
    }
    expect(await refusal('flowchart LR\n  a --> b\n  c -->')).toMatch(/Parse error/)
    expect(await refusal('sequenceDiagram\n  a->>b: fine\n  a->>: no target')).toMatch(
      /Parse error/,
    )
    expect(await refusal('not-a-diagram\n  a --> b')).toMatch(/No diagram type detected/)
  })

  it('finds the mermaid fences of a document, and only those', () => {
    const markdown = [
      '# Page',
      '```mermaid',
      'flowchart LR',
      '  a --> b',
      '```',
      '```sh',
      'echo not a diagram',
      '```',
      '~~~~mermaid',
      'sequenceDiagram',
      '```',
      '~~~~',
    ].join('\n')
    expect(fences(markdown).filter((fence) => fence.lang === 'mermaid')).toEqual([
      { lang: 'mermaid', body: 'flowchart LR\n  a --> b', line: 2, endLine: 5 },
      { lang: 'mermaid', body: 'sequenceDiagram\n```', line: 9, endLine: 12 },
    ])
  })
})
