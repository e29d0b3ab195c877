import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { parseHcl } from './hcl.ts'
import { firstDifference, layoutHcl } from './layout.ts'
import { checkTree } from './references.ts'
import { renderTemplate, scanTemplate } from './templates.ts'
import {
  allFiles,
  loadCached,
  MODULES,
  moduleDirs,
  parseExample,
  ROOTS,
  read,
  TERRAFORM,
} from './tree.ts'

/**
 * infra/terraform as a whole: its layout, every file parsing, every file laid out as
 * terraform fmt would, and every reference resolving.
 */

const files = allFiles()
const tfFiles = files.filter((file) => file.endsWith('.tf'))
const examples = files.filter((file) => file.endsWith('.example'))
const hclFiles = [...tfFiles, ...examples]
const templates = files.filter((file) => file.endsWith('.tftpl'))
const yamlFiles = files.filter((file) => /\.ya?ml$/.test(file))

describe('infra/terraform layout', () => {
  const modules = Object.entries(MODULES).flatMap(([kind, names]) =>
    names.map((name) => `modules/${kind}/${name}`),
  )

  it.each(modules)('%s has variables.tf, main.tf, outputs.tf and versions.tf', (dir) => {
    for (const file of ['variables.tf', 'main.tf', 'outputs.tf', 'versions.tf']) {
      expect(existsSync(join(TERRAFORM, dir, file)), `${dir}/${file}`).toBe(true)
    }
  })

  it.each(ROOTS)('%s is a root with a terraform.tfvars.example', (dir) => {
    for (const file of ['versions.tf', 'variables.tf', 'main.tf', 'outputs.tf']) {
      expect(existsSync(join(TERRAFORM, dir, file)), `${dir}/${file}`).toBe(true)
    }
    expect(existsSync(join(TERRAFORM, dir, 'terraform.tfvars.example'))).toBe(true)
  })

  it('has no Terraform outside the modules and the roots', () => {
    const known = new Set([...modules, ...ROOTS])
    expect(moduleDirs().filter((dir) => !known.has(dir))).toEqual([])
  })
})

describe('every HCL file parses with @cdktf/hcl2json', () => {
  it('the parser refuses broken HCL (so a pass means something)', async () => {
    await expect(
      parseHcl('broken.tf', 'resource "aws_vpc" "x" {\n  cidr_block = \n'),
    ).rejects.toThrow()
    await expect(parseHcl('broken.tf', 'variable "x" {\n  type = string\n')).rejects.toThrow()
  })

  it.each(tfFiles)('%s', async (file) => {
    const body = await parseHcl(file, read(file))
    expect(Object.keys(body).length).toBeGreaterThan(0)
  })

  it.each(examples)('%s', async (file) => {
    expect(await parseExample(file)).toBeTypeOf('object')
  })
})

describe('every template and YAML file parses as YAML', () => {
  it('has templates to check', () => {
    expect(templates.length).toBeGreaterThan(0)
  })

  // The names each template interpolates are exactly what its templatefile() passes
  // (the reference check below); here each gets a stand-in value.
  it.each(templates)('%s, rendered', (file) => {
    const text = read(file)
    const { names, unsupported } = scanTemplate(text)
    expect(unsupported).toEqual([])
    const values = Object.fromEntries(names.map((name) => [name, `stand-in-${name}`]))
    expect(parseYaml(renderTemplate(text, values))).toBeTypeOf('object')
  })

  it.each(yamlFiles)('%s', (file) => {
    expect(parseYaml(read(file))).toBeTypeOf('object')
  })

  it('the YAML parser refuses broken YAML (so a pass means something)', () => {
    expect(() => parseYaml('a: [1, 2\nb: c\n')).toThrow()
  })
})

describe('every HCL file is laid out as terraform fmt would lay it out', () => {
  it.each(hclFiles)('%s', (file) => {
    const text = read(file)
    const { text: formatted, unsupported } = layoutHcl(text)
    expect(unsupported).toEqual([])
    expect(firstDifference(text, formatted)).toBeNull()
    expect(text).not.toMatch(/\t/)
  })
})

describe('every reference resolves', () => {
  it('in every root and module of infra/terraform', async () => {
    const dirs = moduleDirs().map((dir) => join(TERRAFORM, dir))
    expect(await checkTree(TERRAFORM, dirs, loadCached)).toEqual([])
  })
})
