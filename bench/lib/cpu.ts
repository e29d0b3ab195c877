import { readFile } from 'node:fs/promises'

/**
 * CPU meters, to say where the time of a run went: this process (the client), a set of
 * server processes, the whole machine. A probe starts a meter; the meter returns the CPU
 * milliseconds spent since, or NaN when it cannot tell (e.g. a server on another host).
 */

export interface CpuProbe {
  name: string
  start(): Promise<CpuMeter>
}

export type CpuMeter = () => Promise<number>

/** This Node process, user + system. */
export function processCpu(name = 'client'): CpuProbe {
  return {
    name,
    async start() {
      const before = process.cpuUsage()
      return async () => {
        const used = process.cpuUsage(before)
        return (used.user + used.system) / 1000
      }
    },
  }
}

// USER_HZ: Linux reports /proc times in 1/100 s on every architecture Node runs on.
const TICK_MS = 10

/**
 * Processes found by `pids()` at the start and at the end (new ones count from zero),
 * read from /proc/<pid>/stat; only processes whose command name starts with `comm`.
 */
export function processesCpu(name: string, comm: string, pids: () => Promise<number[]>): CpuProbe {
  const ticksOf = async (pid: number): Promise<number | undefined> => {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
      const close = stat.lastIndexOf(')')
      if (!stat.slice(stat.indexOf('(') + 1, close).startsWith(comm)) return undefined
      // Fields after the command name: state is field 3; utime and stime are 14 and 15.
      const fields = stat.slice(close + 2).split(' ')
      return Number(fields[11]) + Number(fields[12])
    } catch {
      return undefined
    }
  }
  const snapshot = async () => {
    const ticks = new Map<number, number>()
    for (const pid of await pids()) {
      const t = await ticksOf(pid)
      if (t !== undefined) ticks.set(pid, t)
    }
    return ticks
  }
  return {
    name,
    async start() {
      const before = await snapshot()
      return async () => {
        const after = await snapshot()
        if (after.size === 0) return Number.NaN
        let ticks = 0
        for (const [pid, t] of after) ticks += t - (before.get(pid) ?? 0)
        return ticks * TICK_MS
      }
    },
  }
}

/** Every CPU of the machine, busy time only (everything but idle and iowait). */
export function machineCpu(name = 'machine'): CpuProbe {
  const busyTicks = async (): Promise<number> => {
    try {
      const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0] ?? ''
      const [user, nice, system, , , irq, softirq, steal] = line
        .trim()
        .split(/\s+/)
        .slice(1)
        .map(Number)
      return [user, nice, system, irq, softirq, steal].reduce<number>((sum, v) => sum + (v ?? 0), 0)
    } catch {
      return Number.NaN
    }
  }
  return {
    name,
    async start() {
      const before = await busyTicks()
      return async () => ((await busyTicks()) - before) * TICK_MS
    },
  }
}
