// The entry of a built function, `node dist/<name>/index.mjs` (scripts/build.ts copies
// this file there). It runs the bundle, function.cjs, with the V8 code cache that the
// build's training run left beside it (ADR-0005), so V8 compiles none of the code that run
// used: module set-up, start-up, the database handshake, the request path.
// Built-ins are taken without ESM imports, which would cost a facade each.
const { readFileSync, writeFileSync } = process.getBuiltinModule('node:fs')
const { createRequire } = process.getBuiltinModule('node:module')
const { dirname } = process.getBuiltinModule('node:path')
const { fileURLToPath } = process.getBuiltinModule('node:url')
const { debuglog } = process.getBuiltinModule('node:util')
const { Script } = process.getBuiltinModule('node:vm')
const { crc32 } = process.getBuiltinModule('node:zlib')

const debug = debuglog('tenantry_code_cache') // NODE_DEBUG=tenantry_code_cache
const filename = fileURLToPath(new URL('function.cjs', import.meta.url))
const source = readFileSync(filename, 'utf8')
// Named after the bundle's checksum: V8 checks a cache against the source's length only,
// so a cache must never meet another bundle of the same length.
const cacheFile = fileURLToPath(
  new URL(`function.${crc32(source).toString(16).padStart(8, '0')}.cache`, import.meta.url),
)
let cachedData
try {
  cachedData = readFileSync(cacheFile)
} catch {
  // No cache (not built by scripts/build.ts, or another bundle): V8 compiles as usual.
}
// The CommonJS wrapper, as Node's own loader would add it.
const script = new Script(
  `(function (exports, require, module, __filename, __dirname) {${source}\n})`,
  { filename, cachedData },
)
if (cachedData === undefined) debug('no code cache for %s', filename)
else if (script.cachedDataRejected) debug('code cache rejected (built by another Node?)')
else debug('code cache accepted')
if (process.env.TENANTRY_TRAIN_CODE_CACHE === '1') {
  // The build's training run: at exit, keep everything V8 compiled while it served.
  process.once('exit', () => writeFileSync(cacheFile, script.createCachedData()))
}
const module = { exports: {} }
script.runInThisContext()(
  module.exports,
  createRequire(filename),
  module,
  filename,
  dirname(filename),
)
await module.exports.main()
