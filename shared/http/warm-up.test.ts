import { describe, expect, it } from 'vitest'
import { warmHttpServer } from './warm-up.ts'

describe('warmHttpServer', () => {
  it('answers its own request in memory and leaves nothing open', async () => {
    const before = process.getActiveResourcesInfo().sort()
    expect(await warmHttpServer()).toBe(true)
    // Let the destroyed streams close.
    await new Promise((resolve) => setImmediate(resolve))
    expect(process.getActiveResourcesInfo().sort()).toEqual(before)
  })
})
