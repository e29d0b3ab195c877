/**
 * The templates here (`*.tftpl`) keep to a subset of Terraform's template language
 * that can be checked and rendered without Terraform: interpolations of plain names
 * (`${name}`), every computed value prepared in HCL and passed in by templatefile();
 * `$${` for a literal `${` and `%%{` for a literal `%{`; no `%{ if }` or `%{ for }`
 * directives.
 */

export interface TemplateScan {
  /** The names the template interpolates, in order of first use. */
  names: string[]
  /** Constructs outside the subset, as `line N: why`. */
  unsupported: string[]
}

const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length

export function scanTemplate(text: string): TemplateScan {
  const names: string[] = []
  const unsupported: string[] = []
  for (let i = 0; i < text.length; i++) {
    const pair = text.slice(i, i + 2)
    if (pair === '$$' || pair === '%%') {
      // An escaped `${` or `%{`: skip it whole.
      if (text[i + 2] === '{') i += 2
      continue
    }
    if (pair === '%{') {
      unsupported.push(`line ${lineOf(text, i)}: a template directive`)
      continue
    }
    if (pair !== '${') continue
    const end = text.indexOf('}', i)
    const inner = end < 0 ? '' : text.slice(i + 2, end).trim()
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(inner)) {
      if (!names.includes(inner)) names.push(inner)
    } else {
      unsupported.push(
        `line ${lineOf(text, i)}: \${${inner}} is not a plain name (compute it in HCL and pass it in)`,
      )
    }
    if (end >= 0) i = end
  }
  return { names, unsupported }
}

/** Renders a template of the subset, as templatefile() would with these values. */
export function renderTemplate(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$\{|%%\{|\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}/g, (match, name) => {
    if (match === '$${') return '${'
    if (match === '%%{') return '%{'
    const value = vars[name]
    if (value === undefined) throw new Error(`no value for \${${name}}`)
    return value
  })
}
