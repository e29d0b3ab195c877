// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are template text: their ${…} is Terraform's
import { describe, expect, it } from 'vitest'
import { renderTemplate, scanTemplate } from './templates.ts'

describe('scanTemplate', () => {
  it('lists the names a template interpolates, once each, skipping escapes', () => {
    const scan = scanTemplate('a: ${one}\nb: ${ two }\nc: ${one}\nd: $${shell}\ne: %%{ literal }\n')
    expect(scan).toEqual({ names: ['one', 'two'], unsupported: [] })
  })

  it('refuses expressions and directives', () => {
    expect(scanTemplate('x\n${a.b}\n%{ for x in y }\n').unsupported).toEqual([
      'line 2: ${a.b} is not a plain name (compute it in HCL and pass it in)',
      'line 3: a template directive',
    ])
  })
})

describe('renderTemplate', () => {
  it('substitutes names and unescapes $${ and %%{', () => {
    expect(renderTemplate('${a}-${ b } $${c} %%{d}', { a: '1', b: '2' })).toBe('1-2 ${c} %{d}')
  })

  it('fails on a name without a value', () => {
    expect(() => renderTemplate('${a} ${b}', { a: '1' })).toThrow('no value for ${b}')
  })
})
