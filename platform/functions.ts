import { auth } from '#functions/auth/function.ts'
import { chat } from '#functions/chat/function.ts'
import { config } from '#functions/config/function.ts'
import { orgs } from '#functions/orgs/function.ts'
import { projects } from '#functions/projects/function.ts'
import type { AnyFunction } from '#shared/runtime/definition.ts'

/**
 * The one list of functions. A function exists everywhere by being here: in `npm start`,
 * the gateway table, the OpenAPI document, the build and `npm run dev`.
 */
export const FUNCTIONS: readonly AnyFunction[] = [auth, orgs, projects, config, chat]

/** The definition of a function by name, or undefined. */
export function functionNamed(name: string): AnyFunction | undefined {
  return FUNCTIONS.find((fn) => fn.name === name)
}
