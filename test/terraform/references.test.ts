// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are Terraform and template text: their ${…} is Terraform's
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CHILD, cleanup, ROOT_MAIN, ROOT_VERSIONS, writeTree } from './fixtures.ts'
import { loadModule } from './hcl.ts'
import { checkModule } from './references.ts'

/**
 * The reference resolver on small trees: a correct one gives no problem, and each
 * kind of mistake gives its own message.
 */

afterAll(cleanup)

/** Problems of `root/` in a tree of CHILD plus the given root files. */
async function problemsOf(files: Readonly<Record<string, string>>): Promise<string[]> {
  const tree = writeTree({ ...CHILD, 'root/versions.tf': ROOT_VERSIONS, ...files })
  return checkModule(await loadModule(join(tree, 'root')), loadModule)
}

/** ROOT_MAIN with one piece of text replaced (which must be there). */
function rootWith(from: string, to: string): Record<string, string> {
  if (!ROOT_MAIN.includes(from)) throw new Error(`fixture lacks ${from}`)
  return { 'root/main.tf': ROOT_MAIN.replace(from, to) }
}

describe('reference resolver', () => {
  it('finds nothing wrong in a correct tree (for variables and dynamic iterators are not references)', async () => {
    expect(await problemsOf({ 'root/main.tf': ROOT_MAIN })).toEqual([])
  })

  it('refuses a var.X without a variable "X"', async () => {
    const problems = await problemsOf(rootWith('name = var.name', 'name = var.nme'))
    expect(problems).toContain('main.tf: module.net.name: var.nme: no variable "nme" is declared')
  })

  it('refuses a variable that nothing uses', async () => {
    const problems = await problemsOf(rootWith('name = var.name', 'name = "fixed"'))
    expect(problems).toEqual(['variable "name" is declared but never used'])
  })

  it('refuses a local.X without a local', async () => {
    const problems = await problemsOf(rootWith('= local.tags', '= local.tag'))
    expect(problems).toContain(
      'main.tf: resource.aws_subnet.this.tags: local.tag: no local "tag" is declared',
    )
  })

  it('refuses module.M.O when M declares no output O', async () => {
    const problems = await problemsOf(rootWith('module.net.vpc_id', 'module.net.vpc'))
    expect(problems).toContain(
      'main.tf: resource.aws_subnet.this.vpc_id: module.net.vpc: module "net" (../child) declares no output "vpc"',
    )
  })

  it('refuses module.M.O when there is no module M', async () => {
    const problems = await problemsOf(rootWith('module.net.vpc_id', 'module.network.vpc_id'))
    expect(problems).toContain(
      'main.tf: resource.aws_subnet.this.vpc_id: module.network.vpc_id: no module "network" is declared',
    )
  })

  it('refuses a module block that leaves out a required variable', async () => {
    const problems = await problemsOf(rootWith('  name = var.name\n', '  cidr = var.name\n'))
    expect(problems).toContain('module "net" does not pass required variable "name" of ../child')
  })

  it('refuses a module block that passes a variable its source does not declare', async () => {
    const problems = await problemsOf(
      rootWith('  name = var.name\n', '  name = var.name\n  zone = "a"\n'),
    )
    expect(problems).toEqual(['module "net" passes "zone", which ../child does not declare'])
  })

  it('refuses a module source that does not exist', async () => {
    const problems = await problemsOf(rootWith('"../child"', '"../kid"'))
    expect(problems).toContain('module "net": source ../kid does not exist')
  })

  it('refuses a reference to a resource that is not declared', async () => {
    const problems = await problemsOf(rootWith('aws_subnet.this.id', 'aws_subnet.that.id'))
    expect(problems).toContain(
      'main.tf: output.subnet.value: aws_subnet.that.id: no resource "aws_subnet" "that" is declared',
    )
  })

  it('refuses a reference to a data source that is not declared', async () => {
    const problems = await problemsOf(
      rootWith('data.aws_availability_zones.available', 'data.aws_availability_zones.all'),
    )
    expect(problems).toContain(
      'main.tf: resource.aws_subnet.this.availability_zone: data.aws_availability_zones.all.names[0]: no data "aws_availability_zones" "all" is declared',
    )
  })

  it('refuses a name that is none of the above', async () => {
    const problems = await problemsOf(rootWith('timeouts.value', 'timeout.value'))
    expect(problems).toContain(
      'main.tf: resource.aws_subnet.this.dynamic.timeouts.content.create: timeout.value: unknown name "timeout"',
    )
  })

  it('refuses a resource whose provider is not in required_providers', async () => {
    const problems = await problemsOf({
      'root/main.tf': `${ROOT_MAIN}\nresource "random_id" "x" {\n  byte_length = 4\n}\n`,
    })
    expect(problems).toEqual([
      'resource random_id.x: provider "random" is not in required_providers',
    ])
  })

  it('refuses a required provider without a version constraint', async () => {
    const problems = await problemsOf({
      'root/main.tf': ROOT_MAIN,
      'root/versions.tf': ROOT_VERSIONS.replace('      version = "~> 6.59"\n', ''),
    })
    expect(problems).toEqual(['required_providers.aws has no version constraint'])
  })
})

describe('templatefile() and file() in the resolver', () => {
  const withTemplate = (call: string, template: string) => ({
    'root/main.tf': `${ROOT_MAIN}\nlocals {\n  rendered = ${call}\n}\n\noutput "rendered" {\n  value = local.rendered\n}\n`,
    'root/templates/t.tftpl': template,
  })

  it('accepts a template whose names are exactly the values passed', async () => {
    const files = withTemplate(
      'templatefile("${path.module}/templates/t.tftpl", { name = var.name, cidr = "x" })',
      'name: ${name}\ncidr: ${cidr}\nliteral: $${not_a_name}\n',
    )
    expect(await problemsOf(files)).toEqual([])
  })

  it('refuses a template file that does not exist', async () => {
    const files = withTemplate(
      'templatefile("${path.module}/templates/missing.tftpl", { name = var.name })',
      '',
    )
    expect(await problemsOf(files)).toEqual([
      'main.tf: locals.rendered: templatefile(): templates/missing.tftpl does not exist',
    ])
  })

  it('refuses a template name that templatefile() does not pass', async () => {
    const files = withTemplate(
      'templatefile("${path.module}/templates/t.tftpl", { name = var.name })',
      'name: ${name}\ncidr: ${cidr}\n',
    )
    expect(await problemsOf(files)).toEqual([
      'templates/t.tftpl uses ${cidr}, which templatefile() in main.tf: locals.rendered does not pass',
    ])
  })

  it('refuses a value the template never uses', async () => {
    const files = withTemplate(
      'templatefile("${path.module}/templates/t.tftpl", { name = var.name, cidr = "x" })',
      'name: ${name}\n',
    )
    expect(await problemsOf(files)).toEqual([
      'main.tf: locals.rendered: templatefile() passes "cidr", which templates/t.tftpl never uses',
    ])
  })

  it('refuses template expressions and directives outside the checked subset', async () => {
    const files = withTemplate(
      'templatefile("${path.module}/templates/t.tftpl", { name = var.name })',
      'name: ${upper(name)}\n%{ if name != "" }x%{ endif }\n',
    )
    const problems = await problemsOf(files)
    expect(problems).toContain(
      'templates/t.tftpl: line 1: ${upper(name)} is not a plain name (compute it in HCL and pass it in)',
    )
    expect(problems).toContain('templates/t.tftpl: line 2: a template directive')
  })

  it('refuses values passed as anything but an object literal', async () => {
    const files = withTemplate(
      'templatefile("${path.module}/templates/t.tftpl", local.tags)',
      'name: ${name}\n',
    )
    expect(await problemsOf(files)).toEqual([
      'main.tf: locals.rendered: templatefile(templates/t.tftpl) must pass its values as an object literal',
    ])
  })

  it('refuses a path not relative to path.module, and a file() that does not exist', async () => {
    const relativeToCwd = withTemplate('templatefile("templates/t.tftpl", {})', '')
    expect(await problemsOf(relativeToCwd)).toEqual([
      'main.tf: locals.rendered: templatefile() must name its file as "${path.module}/…"',
    ])
    const missingFile = withTemplate('file("${path.module}/values.yaml")', '')
    expect(await problemsOf(missingFile)).toEqual([
      'main.tf: locals.rendered: file(): values.yaml does not exist',
    ])
  })
})
