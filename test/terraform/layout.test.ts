import { describe, expect, it } from 'vitest'
import { firstDifference, layoutHcl } from './layout.ts'

/** The model of terraform fmt's indentation and alignment, on small inputs. */

const FORMATTED = `resource "aws_subnet" "this" {
  vpc_id                  = var.vpc_id
  map_public_ip_on_launch = false

  tags = merge(var.tags, {
    Name                     = "public"
    "kubernetes.io/role/elb" = "1"
  })

  route {
    cidr_block = "0.0.0.0/0"
    note       = "a = b, { not a bracket"
  }
}
`

describe('layoutHcl', () => {
  it('leaves text laid out as terraform fmt lays it out unchanged', () => {
    const { text, unsupported } = layoutHcl(FORMATTED)
    expect(unsupported).toEqual([])
    expect(firstDifference(FORMATTED, text)).toBeNull()
  })

  it('aligns the = of consecutive single-line attributes', () => {
    const bad = FORMATTED.replace('  vpc_id                  =', '  vpc_id =')
    expect(firstDifference(bad, layoutHcl(bad).text)).toBe(
      'line 2: "  vpc_id = var.vpc_id" should be "  vpc_id                  = var.vpc_id"',
    )
  })

  it('does not align across a line that opens a multi-line value', () => {
    const bad = FORMATTED.replace('  tags = merge', '  tags                    = merge')
    expect(firstDifference(bad, layoutHcl(bad).text)).toBe(
      'line 5: "  tags                    = merge(var.tags, {" should be "  tags = merge(var.tags, {"',
    )
  })

  it('indents two spaces per open bracket', () => {
    const bad = FORMATTED.replace('    cidr_block = "0.0.0.0/0"', '   cidr_block = "0.0.0.0/0"')
    expect(firstDifference(bad, layoutHcl(bad).text)).toBe(
      'line 11: "   cidr_block = \\"0.0.0.0/0\\"" should be "    cidr_block = \\"0.0.0.0/0\\""',
    )
  })

  it('removes trailing whitespace', () => {
    const bad = FORMATTED.replace('  route {', '  route {  ')
    expect(firstDifference(bad, layoutHcl(bad).text)).toBe(
      'line 10: "  route {  " should be "  route {"',
    )
  })

  it('reports what it does not model instead of guessing', () => {
    const { unsupported } = layoutHcl('a = 1 # why\nb = <<EOT\nx\nEOT\n')
    expect(unsupported).toEqual(['line 1: a comment after code', 'line 2: a heredoc'])
  })
})
