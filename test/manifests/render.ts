import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { parseAllDocuments } from 'yaml'

const run = promisify(execFile)

/**
 * `kubectl kustomize DIR`, parsed: one object per rendered document. kubectl is what Argo CD
 * and users run, so rendering with it (not a reimplementation) validates what is applied.
 */
export async function renderKustomize(dir: string): Promise<unknown[]> {
  let stdout: string
  try {
    ;({ stdout } = await run('kubectl', ['kustomize', dir], { maxBuffer: 64 * 1024 * 1024 }))
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim() || String(error)
    throw new Error(`kubectl kustomize ${dir} failed: ${detail}`)
  }
  const documents = parseAllDocuments(stdout)
  const docs: unknown[] = []
  for (const document of documents) {
    if (document.errors.length > 0) {
      throw new Error(`kubectl kustomize ${dir}: invalid YAML: ${document.errors[0]?.message}`)
    }
    const value: unknown = document.toJS()
    if (value !== null) docs.push(value)
  }
  return docs
}
