import { parser } from '@prometheus-io/lezer-promql'

/**
 * Checks PromQL against what is exported: every metric an expression names must exist
 * (a histogram's _bucket, _sum and _count each count as their own series), and every
 * label it names — in a matcher, in by/without, in on/ignoring/group_left, as the `le`
 * histogram_quantile consumes, as a label_replace source — must be a label of the series
 * it applies to. The labels an expression's result carries are inferred as PromQL's
 * evaluation would produce them, so a `by (route)` over a sum that already dropped
 * `route` fails too. A bucket bound named by `le="…"` must be one the histogram has.
 *
 * Parsing is the Prometheus UI's own grammar (@prometheus-io/lezer-promql), so what fails
 * to parse here fails to parse in Prometheus and Grafana alike.
 */

/** A node of the parsed tree (the @lezer/common type, reached without importing it). */
type SyntaxNode = ReturnType<typeof parser.parse>['topNode']

/** One exported metric: its label names and, for a histogram's _bucket, its `le` values. */
export interface MetricInfo {
  labels: ReadonlySet<string>
  le?: ReadonlySet<string>
}

/** Every metric something exports, by name. */
export type Inventory = ReadonlyMap<string, MetricInfo>

/**
 * The labels of an expression's result: a set, `unknown` after a problem was reported
 * (so one mistake is reported once, not again at every level above it), or a scalar.
 */
type Value =
  | { kind: 'vector'; labels: ReadonlySet<string> | 'unknown' }
  | { kind: 'scalar' }
  | { kind: 'string'; text: string }

const UNKNOWN: Value = { kind: 'vector', labels: 'unknown' }
const SCALAR: Value = { kind: 'scalar' }

export interface ExprResult {
  problems: string[]
  /** The result's labels; undefined for a scalar, 'unknown' when problems hid them. */
  labels: ReadonlySet<string> | 'unknown' | undefined
}

/** Functions whose result is a scalar whatever their argument. */
const SCALAR_FUNCTIONS = new Set(['scalar', 'time', 'pi'])

/** Checks one expression against the inventory. */
export function checkExpr(expr: string, inventory: Inventory): ExprResult {
  const problems: string[] = []
  const tree = parser.parse(expr)
  let syntaxError: number | undefined
  tree.iterate({
    enter(node) {
      if (node.type.isError && syntaxError === undefined) syntaxError = node.from
    },
  })
  if (syntaxError !== undefined) {
    return { problems: [`does not parse (at offset ${syntaxError})`], labels: 'unknown' }
  }
  const top = tree.topNode.firstChild
  if (!top) return { problems: ['is empty'], labels: 'unknown' }
  const text = (node: SyntaxNode) => expr.slice(node.from, node.to)
  const problem = (message: string) => problems.push(message)

  /** Each label must be among `labels` (nothing is checked against unknown labels). */
  function need(names: string[], labels: ReadonlySet<string> | 'unknown', context: string) {
    if (labels === 'unknown') return
    for (const name of names) {
      if (!labels.has(name)) problem(`label "${name}" ${context}: not among ${show(labels)}`)
    }
  }

  function evaluate(node: SyntaxNode): Value {
    switch (node.type.name) {
      case 'NumberDurationLiteral':
        return SCALAR
      case 'StringLiteral':
        return { kind: 'string', text: unquote(text(node)) }
      case 'VectorSelector':
        return selector(node)
      case 'FunctionCall':
        return call(node)
      case 'AggregateExpr':
        return aggregate(node)
      case 'BinaryExpr':
        return binary(node)
      default: {
        // Parens, range and subquery selectors, offset, @, unary minus: the inner value.
        const inner = expressions(node)[0]
        return inner ? evaluate(inner) : UNKNOWN
      }
    }
  }

  function selector(node: SyntaxNode): Value {
    const identifier = node.getChild('Identifier')
    const matchers = matchersOf(node, text)
    const name = identifier ? text(identifier) : matchers.find((m) => m.label === '__name__')?.value
    if (!name) {
      problem(`${text(node)}: a selector must name its metric`)
      return UNKNOWN
    }
    const metric = inventory.get(name)
    if (!metric) {
      problem(`metric "${name}": nothing exports it`)
      return UNKNOWN
    }
    for (const matcher of matchers) {
      if (matcher.label === '__name__') continue
      if (!metric.labels.has(matcher.label)) {
        problem(`label "${matcher.label}" of ${name}: not among ${show(metric.labels)}`)
      } else if (matcher.label === 'le' && matcher.op === '=' && metric.le) {
        if (!metric.le.has(matcher.value)) {
          problem(`${name}{le="${matcher.value}"}: no such bucket (it has ${show(metric.le)})`)
        }
      }
    }
    return { kind: 'vector', labels: metric.labels }
  }

  function call(node: SyntaxNode): Value {
    const name = text(node.getChild('FunctionIdentifier') as SyntaxNode)
    const body = node.getChild('FunctionCallBody')
    const argNodes = body ? expressions(body) : []
    const args = argNodes.map(evaluate)
    if (SCALAR_FUNCTIONS.has(name)) return SCALAR
    const vectorArg = args.find((arg) => arg.kind === 'vector')
    const input = vectorArg?.kind === 'vector' ? vectorArg.labels : new Set<string>()
    const strings = args.map((arg) => (arg.kind === 'string' ? arg.text : undefined))
    switch (name) {
      case 'histogram_quantile':
      case 'histogram_fraction': {
        need(['le'], input, `of ${name}'s histogram`)
        return { kind: 'vector', labels: without(input, ['le']) }
      }
      case 'label_replace': {
        const [, dst, , src] = strings
        if (src) need([src], input, 'copied by label_replace')
        return { kind: 'vector', labels: dst ? plus(input, [dst]) : input }
      }
      case 'label_join': {
        const [, dst, , ...sources] = strings
        need(
          sources.filter((s) => s !== undefined),
          input,
          'joined by label_join',
        )
        return { kind: 'vector', labels: dst ? plus(input, [dst]) : input }
      }
      case 'sort_by_label':
      case 'sort_by_label_desc':
        need(
          strings.filter((s) => s !== undefined),
          input,
          `sorted on by ${name}`,
        )
        return { kind: 'vector', labels: input }
      case 'absent':
      case 'absent_over_time': {
        // The result has the labels its selector matched with equality, and only those.
        const selector = argNodes[0] && findSelector(argNodes[0])
        const equal = selector ? matchersOf(selector, text).filter((m) => m.op === '=') : []
        return { kind: 'vector', labels: new Set(equal.map((m) => m.label)) }
      }
      default:
        return { kind: 'vector', labels: input }
    }
  }

  function aggregate(node: SyntaxNode): Value {
    const op = text(node.getChild('AggregateOp') as SyntaxNode)
    const body = node.getChild('FunctionCallBody')
    const args = (body ? expressions(body) : []).map(evaluate)
    const last = args.at(-1)
    const input = last?.kind === 'vector' ? last.labels : ('unknown' as const)
    const modifier = node.getChild('AggregateModifier')
    const grouping = modifier ? groupingLabels(modifier.getChild('GroupingLabels'), text) : []
    const by = modifier?.getChild('By') !== null && modifier !== null
    need(grouping, input, `in ${op} ${by ? 'by' : 'without'}`)
    // These select series and keep every label; the grouping only partitions them.
    if (['topk', 'bottomk', 'limitk', 'limit_ratio'].includes(op)) {
      return { kind: 'vector', labels: input }
    }
    let labels: ReadonlySet<string> | 'unknown' = new Set<string>()
    if (modifier) labels = by ? new Set(grouping) : without(input, grouping)
    const first = args[0]
    if (op === 'count_values' && first?.kind === 'string') labels = plus(labels, [first.text])
    return { kind: 'vector', labels }
  }

  function binary(node: SyntaxNode): Value {
    const [leftNode, rightNode] = expressions(node)
    if (!leftNode || !rightNode) return UNKNOWN
    const left = evaluate(leftNode)
    const right = evaluate(rightNode)
    if (left.kind !== 'vector') return right.kind === 'vector' ? right : SCALAR
    if (right.kind !== 'vector') return left
    const operator = text(leftNode.nextSibling as SyntaxNode)
    const clause = node.getChild('MatchingModifierClause')
    const lists = clause ? clause.getChildren('GroupingLabels') : []
    const matching = groupingLabels(lists[0] ?? null, text)
    const include = groupingLabels(lists[1] ?? null, text)
    const on = clause?.getChild('On') != null
    const groupLeft = clause?.getChild('GroupLeft') != null
    const groupRight = clause?.getChild('GroupRight') != null
    if (on) {
      need(matching, left.labels, `in on(…), left of ${operator}`)
      need(matching, right.labels, `in on(…), right of ${operator}`)
    } else if (clause) {
      const either = union(left.labels, right.labels)
      need(matching, either, `in ignoring(…) of ${operator}`)
    }
    if (operator === 'or') return { kind: 'vector', labels: union(left.labels, right.labels) }
    if (operator === 'and' || operator === 'unless') return left
    if (groupLeft) {
      need(include, right.labels, 'in group_left(…), from the right side')
      return { kind: 'vector', labels: plus(left.labels, include) }
    }
    if (groupRight) {
      need(include, left.labels, 'in group_right(…), from the left side')
      return { kind: 'vector', labels: plus(right.labels, include) }
    }
    // One-to-one: on() keeps the matching labels, ignoring() drops them.
    if (on) return { kind: 'vector', labels: new Set(matching) }
    return { kind: 'vector', labels: clause ? without(left.labels, matching) : left.labels }
  }

  const value = evaluate(top)
  return {
    problems,
    labels: value.kind === 'vector' ? value.labels : undefined,
  }
}

interface Matcher {
  label: string
  op: string
  value: string
}

function matchersOf(selector: SyntaxNode, text: (node: SyntaxNode) => string): Matcher[] {
  const list = selector.getChild('LabelMatchers')
  if (!list) return []
  const out: Matcher[] = []
  for (let m = list.firstChild; m; m = m.nextSibling) {
    if (m.type.name !== 'UnquotedLabelMatcher' && m.type.name !== 'QuotedLabelMatcher') continue
    const name = m.getChild('LabelName') ?? m.getChild('QuotedLabelName')
    const op = m.getChild('MatchOp')
    const value = m.getChild('StringLiteral')
    if (name && op && value) {
      const label = name.type.name === 'LabelName' ? text(name) : unquote(text(name))
      out.push({ label, op: text(op), value: unquote(text(value)) })
    }
  }
  return out
}

function groupingLabels(list: SyntaxNode | null, text: (node: SyntaxNode) => string): string[] {
  if (!list) return []
  const out: string[] = []
  for (let n = list.firstChild; n; n = n.nextSibling) {
    if (n.type.name === 'LabelName') out.push(text(n))
    else if (n.type.name === 'QuotedLabelName') out.push(unquote(text(n)))
  }
  return out
}

/** The expression children of a node, in order. */
function expressions(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = []
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (child.type.is('Expr')) out.push(child)
  }
  return out
}

/** The selector inside (parens, a range) an expression, if that is all it is. */
function findSelector(node: SyntaxNode): SyntaxNode | undefined {
  if (node.type.name === 'VectorSelector') return node
  const [inner, ...rest] = expressions(node)
  return inner && rest.length === 0 && node.type.name !== 'FunctionCall'
    ? findSelector(inner)
    : undefined
}

function unquote(literal: string): string {
  const quote = literal[0]
  const body = literal.slice(1, -1)
  if (quote === '`') return body
  return body.replace(/\\(.)/g, '$1')
}

function without(labels: ReadonlySet<string> | 'unknown', names: string[]) {
  if (labels === 'unknown') return labels
  return new Set([...labels].filter((label) => !names.includes(label)))
}

function plus(labels: ReadonlySet<string> | 'unknown', names: string[]) {
  if (labels === 'unknown') return labels
  return new Set([...labels, ...names])
}

function union(a: ReadonlySet<string> | 'unknown', b: ReadonlySet<string> | 'unknown') {
  if (a === 'unknown' || b === 'unknown') return 'unknown' as const
  return new Set([...a, ...b])
}

function show(labels: ReadonlySet<string>): string {
  return labels.size === 0 ? 'no labels' : `{${[...labels].sort().join(', ')}}`
}
