import { mkdir, writeFile } from 'node:fs/promises'
import { apiDocumentYaml } from '#platform/openapi.ts'

/** `npm run openapi`: writes docs/api/openapi.yaml from the route definitions. */
await mkdir('docs/api', { recursive: true })
await writeFile('docs/api/openapi.yaml', apiDocumentYaml())
process.stdout.write('wrote docs/api/openapi.yaml\n')
