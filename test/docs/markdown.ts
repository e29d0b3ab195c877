import { readdir } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * What the docs tests read out of the repository's Markdown: which files are docs,
 * their Mermaid fences, their relative links and the anchors their headings make. A small
 * reader of our own rather than a Markdown library: the docs use a plain subset
 * (ATX headings, fenced code, inline links), and no parser is a dependency of the project.
 */

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** Root-level documents the docs tests cover besides everything under docs/. */
export const ROOT_DOCS = ['README.md', 'SECURITY.md'] as const

/** Folders never searched: dependencies, build output, local data, git itself. */
const SKIPPED = new Set(['node_modules', 'dist', '.data', '.git'])

/** Every file under `dir` (repository-relative) whose name ends with `suffix`, sorted. */
export async function filesUnder(dir: string, suffix: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (at: string): Promise<void> => {
    for (const entry of await readdir(join(ROOT, at), { withFileTypes: true })) {
      if (SKIPPED.has(entry.name)) continue
      const path = join(at, entry.name)
      if (entry.isDirectory()) await walk(path)
      else if (entry.name.endsWith(suffix)) out.push(path)
    }
  }
  await walk(dir)
  return out.sort()
}

/** The Markdown files the docs tests read: docs/**\/*.md, README.md and SECURITY.md. */
export async function markdownDocs(): Promise<string[]> {
  return [...ROOT_DOCS, ...(await filesUnder('docs', '.md'))]
}

export interface Fence {
  /** The info string's first word (`mermaid`, `sh`, …), or '' for a bare fence. */
  lang: string
  body: string
  /** 1-based line of the opening fence. */
  line: number
  /** 1-based line of the closing fence (the last line when it is never closed). */
  endLine: number
}

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/

/** Fenced code blocks (``` or ~~~, CommonMark's rules for closing), in order. */
export function fences(markdown: string): Fence[] {
  const out: Fence[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE_OPEN.exec(lines[i] as string)
    if (!open) continue
    const marker = open[1] as string
    const close = new RegExp(`^ {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`)
    let end = i + 1
    while (end < lines.length && !close.test(lines[end] as string)) end++
    out.push({
      lang: (open[2] ?? '').toLowerCase(),
      body: lines.slice(i + 1, end).join('\n'),
      line: i + 1,
      endLine: Math.min(end, lines.length - 1) + 1,
    })
    i = end
  }
  return out
}

/**
 * The text with fenced blocks and inline code spans blanked out (same length, same line
 * breaks), so that what they show as code is never read as a link or a heading.
 */
export function proseOnly(markdown: string): string {
  // A code span: a run of backticks, then anything up to the same run (CommonMark).
  return blankFences(markdown, (line) => ' '.repeat(line.length))
    .join('\n')
    .replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (span) => span.replace(/[^\n]/g, ' '))
}

export interface Link {
  target: string
  line: number
}

const INLINE_LINK = /!?\[[^\]\n]*\]\(\s*(<[^>\n]*>|[^\s)]+)(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\)/g
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]\n]+\]:\s*(<[^>\n]*>|\S+)/gm

/** Every link and image target in the prose (inline and reference definitions). */
export function links(markdown: string): Link[] {
  const prose = proseOnly(markdown)
  const lineOf = (index: number) => prose.slice(0, index).split('\n').length
  const out: Link[] = []
  for (const pattern of [INLINE_LINK, REFERENCE_DEFINITION]) {
    for (const match of prose.matchAll(pattern)) {
      const raw = match[1] as string
      const target = raw.startsWith('<') ? raw.slice(1, -1) : raw
      out.push({ target, line: lineOf(match.index) })
    }
  }
  return out.sort((a, b) => a.line - b.line)
}

/** A link that leaves the repository (a scheme such as https: or mailto:). */
export function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target)
}

/**
 * GitHub's heading anchor: lowercased, punctuation and symbols dropped (letters, digits,
 * spaces, `-` and `_` kept), spaces to `-`. Markdown inside the heading counts by its
 * text: `code` loses its backticks, [a link](x) its target.
 */
export function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N} _-]/gu, '')
    .replace(/ /g, '-')
}

/** Every anchor a document offers: its headings' slugs (numbered when repeated), and ids. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  for (const line of blankFences(markdown, () => '')) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (heading) {
      const base = slug(heading[1] as string)
      const count = seen.get(base) ?? 0
      seen.set(base, count + 1)
      out.add(count === 0 ? base : `${base}-${count}`)
    }
    for (const id of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) out.add(id[1] as string)
  }
  return out
}

/** The lines, each line of a fenced block (its fences included) replaced by `blank(line)`. */
function blankFences(markdown: string, blank: (line: string) => string): string[] {
  const lines = markdown.split('\n')
  for (const fence of fences(markdown)) {
    for (let i = fence.line - 1; i < fence.endLine; i++) lines[i] = blank(lines[i] as string)
  }
  return lines
}

/** A path as the reports print it: relative to the repository root. */
export function shown(path: string): string {
  return relative(ROOT, path) || '.'
}
