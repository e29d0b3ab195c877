import { existsSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { anchors, isExternal, links, markdownDocs, ROOT, slug } from './markdown.ts'

/**
 * Every relative link in the docs (docs/**, README.md, SECURITY.md) lands on a file or
 * folder of the repository, and a `#fragment` on a Markdown file names one of its
 * headings. External links (https:, mailto:) are not fetched: nothing here has to be
 * online, and their rot is not ours to gate a commit on.
 */

/** Problems with one document's links, as `file:line target — why`. */
async function linkProblems(file: string, markdown: string): Promise<string[]> {
  const problems: string[] = []
  const here = join(ROOT, file)
  for (const { target, line } of links(markdown)) {
    if (isExternal(target)) continue
    const [rawPath = '', fragment] = target.split('#', 2)
    const path = decodeURI(rawPath.split('?')[0] as string)
    // `/x` is the repository root on GitHub, a bare `#x` this very file.
    const landing =
      path === '' ? here : path.startsWith('/') ? join(ROOT, path) : join(dirname(here), path)
    const where = `${file}:${line} ${target}`
    if (path !== '' && !existsSync(landing)) {
      problems.push(`${where} — no such file`)
      continue
    }
    if (fragment === undefined || fragment === '' || !landing.endsWith('.md')) continue
    if (landing !== here && statSync(landing).isDirectory()) continue
    const text = landing === here ? markdown : await readFile(landing, 'utf8')
    if (!anchors(text).has(decodeURIComponent(fragment).toLowerCase())) {
      problems.push(`${where} — no heading makes the anchor #${fragment}`)
    }
  }
  return problems
}

describe('relative links in the docs', () => {
  it('covers the documents it is meant to', async () => {
    const docs = await markdownDocs()
    for (const file of ['README.md', 'SECURITY.md', 'docs/architecture/architecture.md']) {
      expect(docs, `${file} is not among the documents checked`).toContain(file)
      expect(existsSync(join(ROOT, file)), `${file} is missing`).toBe(true)
    }
  })

  it('each lands on an existing file, and each #anchor on a heading', async () => {
    const problems: string[] = []
    for (const file of await markdownDocs()) {
      const path = join(ROOT, file)
      if (!existsSync(path)) continue // a missing root document fails the test above
      problems.push(...(await linkProblems(file, await readFile(path, 'utf8'))))
    }
    expect(problems, problems.join('\n')).toEqual([])
  })

  it('no longer points at docs/architecture.md, which moved to docs/architecture/code-map.md', async () => {
    expect(existsSync(join(ROOT, 'docs/architecture.md'))).toBe(false)
    expect(existsSync(join(ROOT, 'docs/architecture/code-map.md'))).toBe(true)
  })
})

describe('the link checker', () => {
  const file = 'docs/architecture/example.md'

  it('refuses a link to a missing file, and a missing anchor', async () => {
    const markdown = [
      '# Title',
      'See [the code map](code-map.md), [a ghost](no-such-page.md) and',
      '[a bad anchor](../deploy/providers.md#no-such-heading), [here](#title), [gone](#nope).',
    ].join('\n')
    const problems = await linkProblems(file, markdown)
    expect(problems).toEqual([
      `${file}:2 no-such-page.md — no such file`,
      `${file}:3 ../deploy/providers.md#no-such-heading — no heading makes the anchor #no-such-heading`,
      `${file}:3 #nope — no heading makes the anchor #nope`,
    ])
  })

  it('ignores code, external links and titles, and reads reference definitions', async () => {
    const markdown = [
      '`[not a link](missing.md)` https://example.com/x.md',
      '```md',
      '[also not](missing.md)',
      '```',
      '[ok](https://example.com/missing.md "a title") [ok](<code-map.md> "title")',
      '[ref]: ./missing-reference.md',
    ].join('\n')
    expect(await linkProblems(file, markdown)).toEqual([
      `${file}:6 ./missing-reference.md — no such file`,
    ])
  })

  it('makes anchors the way GitHub does', () => {
    expect(slug('`npm run deploy`')).toBe('npm-run-deploy')
    expect(slug('The Application health check, and Argo CD 3.4')).toBe(
      'the-application-health-check-and-argo-cd-34',
    )
    expect(slug('9. Where this departs from the seed — and why')).toBe(
      '9-where-this-departs-from-the-seed--and-why',
    )
    expect([...anchors('# A\n## A\n```\n# not a heading\n```\n<a id="x"></a>')]).toEqual([
      'a',
      'a-1',
      'x',
    ])
  })
})
