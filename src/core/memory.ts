/**
 * Memory bounds for reading MAT files. A variable's size is known from its header (the dimensions and
 * the data element's byte count, or the inflated size a compressed element announces) before a byte
 * of it is inflated, so a variable that cannot fit is refused with a clear error instead of failing
 * half-way through an allocation, or taking the machine down with it.
 */
import { constants as bufferConstants } from 'node:buffer';
import { totalmem } from 'node:os';
import { MatFormatError } from './errors.ts';

/** Share of the machine's memory (physical, or the container's limit when lower) one load may use. */
export const DEFAULT_MEMORY_FRACTION = 0.75;

/** The largest single Buffer Node.js can allocate (4 GiB on Node 20); one variable is one buffer. */
export const MAX_BUFFER_BYTES: number = bufferConstants.MAX_LENGTH;

/** How much memory the machine (or the container this process runs in) has. */
export interface MachineMemory {
  readonly bytes: number;
  /** 'container' when a cgroup limit below the physical memory applies. */
  readonly source: 'physical' | 'container';
}

export function machineMemory(): MachineMemory {
  const physical = totalmem();
  // process.constrainedMemory (Node ≥ 19.6) gives the cgroup limit; with no limit it returns 0 or a
  // huge sentinel (2^64), so only a value below the physical memory counts.
  const constrained = typeof process.constrainedMemory === 'function' ? Number(process.constrainedMemory()) : 0;
  if (constrained > 0 && constrained < physical) return { bytes: constrained, source: 'container' };
  return { bytes: physical, source: 'physical' };
}

/** The default memory bound for one load: DEFAULT_MEMORY_FRACTION of `machineMemory()`. */
export function defaultMemoryLimit(): number {
  return Math.floor(machineMemory().bytes * DEFAULT_MEMORY_FRACTION);
}

/** "1.5 GiB", "640 KiB", "12 bytes". */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return `${n} bytes`;
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let u = 0;
  let v = n;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/** Where the bytes are going, for the message. */
export interface MemoryRequest {
  readonly file: string;
  readonly variable?: string;
  /** Bytes about to be allocated. */
  readonly bytes: number;
  /** What they are for, e.g. "to read its 512×614×176 uint16 data". */
  readonly what: string;
  /** The bound in force (default `defaultMemoryLimit()`). */
  readonly limit: number;
  /** True when the bytes go into one Buffer, which Node caps at MAX_BUFFER_BYTES. */
  readonly oneBuffer?: boolean;
}

/**
 * Throws a MatFormatError when `bytes` exceed the limit (or, for one buffer, Node's buffer cap), so
 * that nothing is allocated from a size the machine cannot hold.
 */
export function checkMemory(req: MemoryRequest): void {
  const { file, variable, bytes, what, limit } = req;
  const fix =
    'crop or subsample the data before saving it (MATLAB: `X = X(1:1000, 1:1000, :); save(FILE, "X", "-v7")`), ' +
    'or use a machine with more memory';
  if (req.oneBuffer === true && bytes > MAX_BUFFER_BYTES) {
    throw new MatFormatError(
      file, variable,
      `needs ${formatBytes(bytes)} in one buffer ${what}, more than the ${formatBytes(MAX_BUFFER_BYTES)} Node.js can allocate at once`,
      fix,
    );
  }
  if (bytes > limit) {
    const machine = machineMemory();
    const of = limit === defaultMemoryLimit()
      ? ` (${Math.round(DEFAULT_MEMORY_FRACTION * 100)}% of the ${formatBytes(machine.bytes)} ${machine.source === 'container' ? 'this container may use' : 'this machine has'})`
      : '';
    throw new MatFormatError(
      file, variable, `needs ${formatBytes(bytes)} of memory ${what}, more than the ${formatBytes(limit)} allowed${of}`,
      fix,
    );
  }
}
