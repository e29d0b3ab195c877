import type { SideResult } from './interleave.ts'

/**
 * Prints one line per side (throughput, p50, p99, and CPU per operation when measured),
 * then any extra ratios, then the last line `ratio <b/a>`: b's throughput over a's.
 */

export interface ReportOptions {
  /** The two sides of the headline ratio: b / a. */
  a: string
  b: string
  /** The label of the last line (default `ratio`). */
  ratioLabel?: string
  /** Further `<label> <y/x>` lines printed above the ratio. */
  extraRatios?: Array<{ label: string; x: string; y: string }>
  /** Cores: with a CPU probe named `machine`, prints how busy the machine was. */
  cores?: number
  /** What each CPU probe measures, printed above the CPU table. */
  cpuLegend?: string
  write?: (line: string) => void
}

export function printReport(results: SideResult[], options: ReportOptions): void {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`))
  const width = Math.max(4, ...results.map((r) => r.name.length))
  const cell = (value: string, w: number) => value.padStart(w)

  write(
    `${'side'.padEnd(width)}  ${cell('ops/s', 9)}  ${cell('p50 ms', 7)}  ${cell('p99 ms', 7)}  ${cell('ops', 9)}  ${cell('errors', 6)}  rounds ops/s min–max`,
  )
  for (const r of results) {
    write(
      `${r.name.padEnd(width)}  ${cell(r.throughput.toFixed(0), 9)}  ${cell(ms(r.latencies.percentile(50)), 7)}  ${cell(ms(r.latencies.percentile(99)), 7)}  ${cell(String(r.ops), 9)}  ${cell(String(r.errors), 6)}  ${Math.min(...r.roundThroughputs)}–${Math.max(...r.roundThroughputs)}`,
    )
  }

  const probeNames = Object.keys(results[0]?.cpuMs ?? {})
  if (probeNames.length > 0) {
    write('')
    const head = probeNames.map((name) => cell(name, 9)).join('  ')
    const busy = options.cores ? `  ${cell('machine busy', 12)}` : ''
    write(`CPU µs per operation${options.cpuLegend ? ` (${options.cpuLegend})` : ''}`)
    write(`${'side'.padEnd(width)}  ${head}${busy}`)
    for (const r of results) {
      const perOp = probeNames
        .map((name) => cell(us((r.cpuMs[name] ?? Number.NaN) / r.ops), 9))
        .join('  ')
      const machine = r.cpuMs.machine
      const pct =
        options.cores && machine !== undefined && Number.isFinite(machine)
          ? `  ${cell(`${Math.round((100 * machine) / (r.elapsedMs * options.cores))}%`, 12)}`
          : ''
      write(`${r.name.padEnd(width)}  ${perOp}${pct}`)
    }
  }

  write('')
  for (const extra of options.extraRatios ?? []) {
    write(`${extra.label} ${ratioOf(results, extra.x, extra.y).toFixed(2)}`)
  }
  write(`${options.ratioLabel ?? 'ratio'} ${ratioOf(results, options.a, options.b).toFixed(2)}`)
}

/** b's throughput over a's. */
export function ratioOf(results: SideResult[], a: string, b: string): number {
  const throughput = (name: string) => {
    const found = results.find((r) => r.name === name)
    if (!found) throw new Error(`no side named ${name}`)
    return found.throughput
  }
  return throughput(b) / throughput(a)
}

function ms(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : '-'
}

function us(msPerOp: number): string {
  return Number.isFinite(msPerOp) ? (msPerOp * 1000).toFixed(0) : 'n/a'
}

/**
 * One regime of a benchmark: the report, each side's errors on stderr (and exit code 1
 * if any), and the regime's b/a ratio for the run's last line.
 */
export function reportRegime(results: SideResult[], options: ReportOptions): number {
  printReport(results, options)
  for (const r of results) {
    if (r.errors > 0) {
      process.stderr.write(`${r.name}: ${r.errors} errors, first: ${String(r.firstError)}\n`)
      process.exitCode = 1
    }
  }
  return ratioOf(results, options.a, options.b)
}
