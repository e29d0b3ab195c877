/**
 * The part of `terraform fmt` that these files depend on, for machines without the
 * terraform binary: indentation and the alignment of `=`, as hclwrite's format.go
 * does them.
 *
 * - Indentation: a line that opens more brackets than it closes indents the lines
 *   after it by two spaces; a line that closes them dedents itself.
 * - Alignment: consecutive lines that each assign a whole single-line value
 *   (`key = value`, brackets balanced after the `=`) form a chain, and the `=` of
 *   every line in a chain sits one space after the longest key. A blank line, a
 *   comment line, a block header, a closing bracket or a line opening a multi-line
 *   value ends the chain.
 *
 * `terraform fmt -check` in the GitHub workflow stays the authority; this catches
 * the common slips here. Heredocs and trailing comments are refused rather than
 * modelled: the files here use neither.
 */

export interface LayoutResult {
  /** The text laid out as terraform fmt would lay it out. */
  text: string
  /** Constructs this model does not cover, as `line N: why`. */
  unsupported: string[]
}

interface Line {
  /** The line without its indentation and trailing whitespace. */
  body: string
  /** `body` with the contents of string literals blanked and any comment removed. */
  code: string
  /** Only a comment. */
  comment: boolean
}

/** Blanks string contents (so brackets and `=` inside them do not count). */
function scan(body: string): { code: string; comment: boolean; trailingComment: boolean } {
  // What the scanner is inside, innermost last: a string, an interpolation in a
  // string, or a brace inside an interpolation. Outside all of them is code.
  const stack: ('string' | 'interp' | 'brace')[] = []
  let code = ''
  for (let i = 0; i < body.length; i++) {
    const c = body[i]
    const top = stack[stack.length - 1]
    if (top === undefined) {
      if (c === '"') stack.push('string')
      else if (c === '#' || (c === '/' && body[i + 1] === '/')) {
        const before = code.trim()
        return { code: code.trimEnd(), comment: before === '', trailingComment: before !== '' }
      }
      code += c
      continue
    }
    if (top === 'string') {
      if (c === '\\' || (c === '$' && body[i + 1] === '{')) {
        // Two characters: an escape, or the `${` opening an interpolation.
        if (c === '$') stack.push('interp')
        code += '  '
        i++
        continue
      }
      if (c === '"') {
        stack.pop()
        if (stack.length === 0) {
          code += c
          continue
        }
      }
    } else if (c === '"') stack.push('string')
    else if (c === '{') stack.push('brace')
    else if (c === '}') stack.pop()
    code += ' '
  }
  return { code, comment: false, trailingComment: false }
}

function bracketChange(code: string): number {
  let net = 0
  for (const c of code) {
    if (c === '{' || c === '[' || c === '(') net++
    else if (c === '}' || c === ']' || c === ')') net--
  }
  return net
}

/** Index of the attribute's `=` (not `==`, `!=`, `<=`, `>=`, `=>`), or -1. */
function assignIndex(code: string): number {
  for (let i = 1; i < code.length; i++) {
    if (code[i] !== '=') continue
    const before = code[i - 1]
    const after = code[i + 1]
    if (before === '=' || before === '!' || before === '<' || before === '>') continue
    if (after === '=' || after === '>') {
      i++
      continue
    }
    return i
  }
  return -1
}

export function layoutHcl(text: string): LayoutResult {
  const unsupported: string[] = []
  const raw = text.replace(/\n$/, '').split('\n')
  const lines: Line[] = raw.map((source, n) => {
    const body = source.trim()
    const { code, comment, trailingComment } = scan(body)
    if (trailingComment) unsupported.push(`line ${n + 1}: a comment after code`)
    if (/<<-?[A-Z]/.test(code)) unsupported.push(`line ${n + 1}: a heredoc`)
    if (/\/\*/.test(code)) unsupported.push(`line ${n + 1}: a block comment`)
    return { body, code, comment }
  })

  // Indentation, as formatIndent: a stack of how many brackets each indent opened.
  const indents: number[] = []
  const indentOf: number[] = lines.map(({ body, code }) => {
    if (body === '') return 0
    const net = bracketChange(code)
    if (net > 0) {
      const level = indents.length
      indents.push(net)
      return 2 * level
    }
    let closed = -net
    while (closed > 0) {
      const top = indents.pop()
      if (top === undefined) break
      if (closed < top) indents.push(top - closed)
      closed = Math.max(0, closed - top)
    }
    return 2 * indents.length
  })

  // Alignment, as formatCells: the `=` of a chain of assignment lines.
  const laid = lines.map(({ body, code, comment }, n) => {
    const indent = indentOf[n] ?? 0
    const at = comment ? -1 : assignIndex(code)
    if (at < 0) return { indent, body, key: null, value: '' }
    const key = body.slice(0, at).trimEnd()
    const value = body.slice(at + 1).trimStart()
    // A line opening a multi-line value is in no chain: one space around its `=`.
    if (bracketChange(code.slice(at)) !== 0)
      return { indent, body: `${key} = ${value}`, key: null, value: '' }
    return { indent, body, key, value }
  })
  const out = laid.map(({ indent, body }) => (body === '' ? '' : ' '.repeat(indent) + body))
  let n = 0
  while (n < laid.length) {
    const start = n
    while (n < laid.length && laid[n]?.key != null) n++
    if (n === start) {
      n++
      continue
    }
    const chain = laid.slice(start, n)
    const width = Math.max(...chain.map(({ indent, key }) => indent + (key ?? '').length))
    chain.forEach(({ indent, key, value }, k) => {
      const pad = ' '.repeat(width - indent - (key ?? '').length + 1)
      out[start + k] = `${' '.repeat(indent)}${key}${pad}=${value === '' ? '' : ` ${value}`}`
    })
  }
  return { text: `${out.join('\n')}\n`, unsupported }
}

/** The first differing line of two layouts, for a readable failure. */
export function firstDifference(actual: string, expected: string): string | null {
  const a = actual.split('\n')
  const e = expected.split('\n')
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i])
      return `line ${i + 1}: ${JSON.stringify(a[i])} should be ${JSON.stringify(e[i])}`
  }
  return null
}
