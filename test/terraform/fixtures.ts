import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

/**
 * Small Terraform trees written to a temporary directory, for the tests that show a
 * check failing. `cleanup` removes every tree made so far.
 */
const made: string[] = []

export function writeTree(files: Readonly<Record<string, string>>): string {
  const root = mkdtempSync(join(tmpdir(), 'tenantry-tf-'))
  made.push(root)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}

export function cleanup() {
  for (const root of made.splice(0)) rmSync(root, { recursive: true, force: true })
}

/** A child module: one required and one optional variable, one output. */
export const CHILD = {
  'child/versions.tf': `terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.59"
    }
  }
}
`,
  'child/variables.tf': `variable "name" {
  type = string
}

variable "cidr" {
  type    = string
  default = "10.0.0.0/16"
}
`,
  'child/main.tf': `resource "aws_vpc" "this" {
  cidr_block = var.cidr
  tags       = { Name = var.name }
}
`,
  'child/outputs.tf': `output "vpc_id" {
  value = aws_vpc.this.id
}
`,
}

/** A root that uses the child correctly: the base every broken fixture edits. */
export const ROOT_MAIN = `variable "name" {
  type = string
}

variable "names" {
  type    = list(string)
  default = ["a"]
}

locals {
  tags = { for n in var.names : n => upper(n) }
}

module "net" {
  source = "../child"

  name = var.name
}

data "aws_availability_zones" "available" {
  state = "available"
}

resource "aws_subnet" "this" {
  vpc_id            = module.net.vpc_id
  availability_zone = data.aws_availability_zones.available.names[0]
  tags              = local.tags

  dynamic "timeouts" {
    for_each = toset(var.names)

    content {
      create = timeouts.value
    }
  }
}

output "subnet" {
  value = aws_subnet.this.id
}
`

export const ROOT_VERSIONS = CHILD['child/versions.tf']
