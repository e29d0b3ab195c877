import { describe, expect, it } from 'vitest'
import { reconnectDelay } from './backoff.ts'

describe('reconnectDelay', () => {
  it('backs off 50 ms doubling, capped at 1 s, and never gives up', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(reconnectDelay)).toEqual([50, 100, 200, 400, 800, 1000, 1000])
    expect(reconnectDelay(0)).toBe(50)
    expect(reconnectDelay(10_000)).toBe(1000)
  })
})
