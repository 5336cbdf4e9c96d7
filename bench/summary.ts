/**
 * The end of `npm run bench`: one table of what was measured against its reference (PyTorch, GDAL), and
 * the CPU line at its top (the vector units onnxruntime's and PyTorch's kernels pick from).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface SummaryRow {
  /** What was measured, e.g. "real protocol, Samson 20 %". */
  what: string;
  /** Our number and the reference's, with their units ("12.3 s", "1,234/s"); '—' when not measured. */
  ours: string;
  reference: string;
  /** Our speed over the reference's (> 1: ours is faster), when both were measured. */
  ratio?: number;
  /** The command (and options) that reruns this comparison alone. */
  command: string;
  /** Printed under the table: why a side is missing, what the reference is. */
  note?: string;
}

/** The flags that decide which kernels run: AVX-512, VNNI, BF16 and AMX. */
const FLAGS = ['avx2', 'avx512f', 'avx512_vnni', 'avx512_bf16', 'amx_tile', 'amx_bf16', 'amx_int8'] as const;

/** "CPU: <model>, N cores; avx512f yes, …" from /proc/cpuinfo (Linux), or Node's model name elsewhere. */
export function cpuLine(): string {
  let model = os.cpus()[0]?.model?.trim() || 'unknown CPU';
  let flags: string[] | undefined;
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    model = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? model;
    flags = /^flags\s*:\s*(.+)$/m.exec(info)?.[1]?.split(/\s+/);
  } catch {
    // Not Linux: no flags to show.
  }
  const have = flags ? FLAGS.map((f) => `${f} ${flags.includes(f) ? 'yes' : 'no'}`).join(', ') : 'flags unknown (no /proc/cpuinfo)';
  return `CPU: ${model}, ${os.availableParallelism()} cores; ${have}`;
}

export function summaryTable(rows: readonly SummaryRow[]): string[] {
  const header = ['measured', 'ours', 'reference', 'ratio', 'command / options'];
  const cells = rows.map((r) => [r.what, r.ours, r.reference, r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)}×`, r.command]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i === 0 || i === 4 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
  return [
    'Summary (ratio: our speed over the reference\'s, > 1 is faster; times are compared as reference time / our time):',
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map(line),
    ...rows.flatMap((r) => (r.note ? [`  ${r.what}: ${r.note}`] : [])),
  ];
}
