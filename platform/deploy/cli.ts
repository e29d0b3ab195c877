import { type DeployDeps, deploy } from './deploy.ts'
import { DeployError } from './errors.ts'
import { parseDeployArgs, usage } from './options.ts'

/** `npm run deploy -- …` with its arguments: usage errors and --help, then deploy(). */
export async function deployCli(argv: readonly string[], deps: DeployDeps): Promise<number> {
  let options: ReturnType<typeof parseDeployArgs>
  try {
    options = parseDeployArgs(argv)
  } catch (error) {
    if (!(error instanceof DeployError)) throw error
    deps.err(`deploy: ${error.message}`)
    return error.exit
  }
  if (options === 'help') {
    deps.out(usage())
    return 0
  }
  return deploy(options, deps)
}
