import os from 'node:os'

/** The facts that make two benchmark runs comparable, printed at the top of every run. */
export function machineFacts(): string[] {
  const model = os.cpus()[0]?.model.trim() ?? 'unknown CPU'
  const gib = (os.totalmem() / 2 ** 30).toFixed(1)
  return [
    `machine: ${os.availableParallelism()} cores (${model}), ${gib} GiB RAM, ${os.type()} ${os.release()}`,
    `node: ${process.version}`,
    `load average at start: ${os
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}`,
  ]
}
