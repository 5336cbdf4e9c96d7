/**
 * The MAT fuzzer shared by `test/fuzz/matFuzz.test.ts` (a fixed-seed run inside `npm test`) and
 * `bench/fuzz.ts` (`npm run fuzz`, long soak runs): seeded mutations of the source files
 * (matFuzzSources.ts), and one "exercise" per case that lists the file, reads every variable (inspect
 * with min/max, char text) and loads its first 3-D array as a scene cube and its first 2-D array as a
 * label map. A case passes when that either works or throws one of the project's typed errors naming
 * the file.
 *
 * Case i of seed s is made from `createRng(s, 'case i')` alone, so any case can be replayed by itself
 * (`npm run fuzz -- --seed s --case i`).
 */
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { deflateSync, inflateSync } from 'node:zlib';
import { ConfigError, DataError, InputFileError, MatFormatError } from '../../src/core/errors.ts';
import { inspectMatFile } from '../../src/io/mat/inspect.ts';
import { openMatFile, readMatChar } from '../../src/io/mat/reader.ts';
import { NUMERIC_CLASSES } from '../../src/io/mat/types.ts';
import { loadLabels, loadScene } from '../../src/scene/loadScene.ts';
import { createRng, type Rng } from '../../src/util/random.ts';
import { FUZZ_MAX_BYTES, type FuzzSource } from './matFuzzSources.ts';

export { FUZZ_MAX_BYTES, allSources, realSources, syntheticSources } from './matFuzzSources.ts';
export type { FuzzSource } from './matFuzzSources.ts';

/** Rounds up to a multiple of 8; arithmetic, not `& ~7`, which breaks above 2^31. */
const pad8 = (n: number) => Math.ceil(n / 8) * 8;

// ---------------------------------------------------------------- file structure (for targeted mutations)

interface TagAt {
  /** Offset of the tag in the buffer. */
  readonly at: number;
  readonly small: boolean;
  readonly type: number;
  readonly nbytes: number;
}

const isLE = (b: Buffer) => b.length < 128 || b.toString('latin1', 126, 128) !== 'MI';
const u32 = (b: Buffer, o: number, le: boolean) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
const setU32 = (b: Buffer, o: number, v: number, le: boolean) => (le ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o));

/** Top-level element tags, as far as they can be followed. */
function topTags(b: Buffer): TagAt[] {
  const le = isLE(b);
  const tags: TagAt[] = [];
  for (let at = 128; at + 8 <= b.length && tags.length < 10_000;) {
    const t = readTagAt(b, at, le);
    tags.push(t);
    const next = t.small ? at + 8 : t.type === 15 ? at + 8 + t.nbytes : at + 8 + pad8(t.nbytes);
    if (next <= at) break;
    at = next;
  }
  return tags;
}

function readTagAt(b: Buffer, at: number, le: boolean): TagAt {
  const first = u32(b, at, le);
  if (first >>> 16 !== 0) return { at, small: true, type: first & 0xffff, nbytes: first >>> 16 };
  return { at, small: false, type: first, nbytes: u32(b, at + 4, le) };
}

/** Tags inside an miMATRIX element that starts at `at` (its own tag included), recursively. */
function innerTags(b: Buffer, at: number, le: boolean, out: TagAt[] = []): TagAt[] {
  const top = readTagAt(b, at, le);
  out.push(top);
  const end = Math.min(b.length, at + 8 + top.nbytes);
  for (let o = at + 8; o + 8 <= end && out.length < 1000;) {
    const t = readTagAt(b, o, le);
    if (t.type === 14 && !t.small) innerTags(b, o, le, out);
    else out.push(t);
    o = t.small ? o + 8 : o + 8 + pad8(t.nbytes);
  }
  return out;
}

// ---------------------------------------------------------------- mutations

function interestingLength(rng: Rng, n: number): number {
  const choices = [0, 1, 2, 4, 7, 8, 9, n - 1, n + 1, n + 7, n + 8, 2 * n, n >>> 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff8, rng.uint32(), rng.int(1 << 16)];
  return rng.pick(choices) >>> 0;
}

function interestingDim(rng: Rng, d: number): number {
  return rng.pick([0, 1, -1, 2, d - 1, d + 1, 1e9, 0x7fffffff, -0x80000000, rng.uint32() | 0, rng.int(1000)]);
}

/** Changes one field of an miMATRIX element in place: a tag's length or type, a dimension, the class. */
function mutateMatrixFields(b: Buffer, at: number, le: boolean, rng: Rng): string {
  const tags = innerTags(b, at, le);
  const t = rng.pick(tags);
  const what = rng.int(5);
  if (what === 0 && !t.small) {
    const v = interestingLength(rng, t.nbytes);
    setU32(b, t.at + 4, v, le);
    return `inner tag at ${t.at}: length ${t.nbytes} → ${v}`;
  }
  if (what === 1) {
    const v = rng.pick([0, 1, 5, 6, 9, 12, 14, 15, 16, 17, 18, 255, rng.int(1 << 16)]);
    if (t.small) setU32(b, t.at, (t.nbytes << 16) | v, le);
    else setU32(b, t.at, v, le);
    return `inner tag at ${t.at}: type ${t.type} → ${v}`;
  }
  if (what === 2 && t.type === 5 && !t.small && t.nbytes >= 4) {
    const k = rng.int(Math.floor(Math.min(t.nbytes, b.length - t.at - 8) / 4));
    const o = t.at + 8 + 4 * k;
    if (o + 4 <= b.length) {
      const v = interestingDim(rng, le ? b.readInt32LE(o) : b.readInt32BE(o));
      if (le) b.writeInt32LE(v, o);
      else b.writeInt32BE(v, o);
      return `dimension at ${o} → ${v}`;
    }
  }
  if (what === 3 && t.type === 6 && t.at + 12 <= b.length) {
    // Array flags: class byte, complex/logical/global bits.
    const flags = u32(b, t.at + 8, le);
    const v = rng.next() < 0.5 ? (flags & ~0xff) | rng.int(20) : flags ^ (1 << (8 + rng.int(8)));
    setU32(b, t.at + 8, v, le);
    return `array flags at ${t.at} → 0x${(v >>> 0).toString(16)}`;
  }
  const o = t.at + rng.int(8);
  if (o < b.length) b[o] = rng.int(256);
  return `inner tag byte at ${o}`;
}

/** Applies one random mutation; returns the new bytes and what was done. */
function mutateOnce(src: Buffer, rng: Rng, others: readonly FuzzSource[]): { bytes: Buffer; what: string } {
  let b = Buffer.from(src);
  const le = isLE(b);
  const kind = rng.int(12);
  const at = () => rng.int(Math.max(1, b.length));
  switch (kind) {
    case 0: {
      const k = 1 + rng.int(8);
      for (let i = 0; i < k && b.length > 0; i++) b[at()] = rng.int(256);
      return { bytes: b, what: `${k} random bytes` };
    }
    case 1: {
      const k = 1 + rng.int(8);
      for (let i = 0; i < k && b.length > 0; i++) b[at()] ^= 1 << rng.int(8);
      return { bytes: b, what: `${k} bit flips` };
    }
    case 2: {
      // Cuts anywhere, but often near the header and element boundaries where parsing is subtle.
      const cut = rng.next() < 0.3 ? rng.int(Math.min(b.length, 400) + 1) : at();
      return { bytes: b.subarray(0, cut), what: `truncated to ${cut} bytes` };
    }
    case 3: {
      const tags = topTags(b).filter((t) => !t.small);
      if (tags.length === 0) break;
      const t = rng.pick(tags);
      const v = interestingLength(rng, t.nbytes);
      setU32(b, t.at + 4, v, le);
      return { bytes: b, what: `top-level tag at ${t.at}: length ${t.nbytes} → ${v}` };
    }
    case 4:
    case 5: {
      // A field inside a variable's header; compressed variables are inflated, changed and recompressed.
      const tags = topTags(b).filter((t) => !t.small && (t.type === 14 || t.type === 15) && t.at + 8 + t.nbytes <= b.length);
      if (tags.length === 0) break;
      const t = rng.pick(tags);
      if (t.type === 14) return { bytes: b, what: mutateMatrixFields(b, t.at, le, rng) };
      let inner: Buffer;
      try {
        inner = Buffer.from(inflateSync(b.subarray(t.at + 8, t.at + 8 + t.nbytes), { maxOutputLength: 1 << 20 }));
      } catch {
        break; // not inflatable (already damaged, or large): fall through to a byte change
      }
      if (inner.length < 8) break;
      const what = mutateMatrixFields(inner, 0, le, rng);
      const z = deflateSync(inner, { level: 1 }); // fastest: the fuzzer recompresses often
      const tag = Buffer.alloc(8);
      setU32(tag, 0, 15, le);
      setU32(tag, 4, z.length, le);
      b = Buffer.concat([b.subarray(0, t.at), tag, z, b.subarray(t.at + 8 + t.nbytes)]);
      return { bytes: b, what: `compressed element at ${t.at}: ${what}` };
    }
    case 6: {
      // Damage inside a zlib stream (after its 2-byte header): the stream no longer inflates, or
      // inflates to something else; or the stream is cut short with the tag shortened to match.
      const tags = topTags(b).filter((t) => t.type === 15 && t.nbytes > 4 && t.at + 8 + t.nbytes <= b.length);
      if (tags.length === 0) break;
      const t = rng.pick(tags);
      if (rng.next() < 0.5) {
        const o = t.at + 10 + rng.int(t.nbytes - 2);
        b[o] ^= 1 + rng.int(255);
        return { bytes: b, what: `zlib byte at ${o}` };
      }
      const keep = rng.int(t.nbytes);
      setU32(b, t.at + 4, keep, le);
      b = Buffer.concat([b.subarray(0, t.at + 8 + keep), b.subarray(t.at + 8 + t.nbytes)]);
      return { bytes: b, what: `zlib stream at ${t.at} cut to ${keep} of ${t.nbytes} bytes` };
    }
    case 7: {
      if (b.length < 128) break;
      const h = rng.int(5);
      if (h === 0) b.write(le ? 'MI' : 'IM', 126, 'latin1');
      else if (h === 1) b.writeUInt16LE(rng.pick([0, 0x0200, 0x0101, 0xffff]), 124);
      else if (h === 2) b.write('MATLAB 7.3 MAT-file', 0, 'latin1');
      else if (h === 3) b.fill(0, 0, 4);
      else setU32(b, 116, rng.pick([128, 136, rng.int(b.length + 16)]), le);
      return { bytes: b, what: `header change ${h}` };
    }
    case 8: {
      const o = at(), n = 1 + rng.int(64);
      const ins = Buffer.alloc(n);
      for (let i = 0; i < n; i++) ins[i] = rng.int(256);
      return { bytes: Buffer.concat([b.subarray(0, o), ins, b.subarray(o)]), what: `${n} bytes inserted at ${o}` };
    }
    case 9: {
      const o = at(), n = 1 + rng.int(64);
      return { bytes: Buffer.concat([b.subarray(0, o), b.subarray(o + n)]), what: `${n} bytes deleted at ${o}` };
    }
    case 10: {
      // Bytes from another file (or elsewhere in this one) pasted over a range.
      const other = rng.next() < 0.5 ? b : rng.pick(others).bytes;
      if (other.length === 0 || b.length === 0) break;
      const n = 1 + rng.int(Math.min(512, other.length));
      const from = rng.int(other.length - n + 1), to = at();
      other.copy(b, to, from, from + n);
      return { bytes: b, what: `${n} bytes pasted at ${to}` };
    }
    case 11: {
      const n = 1 + rng.int(256);
      const tail = rng.next() < 0.5 ? Buffer.alloc(n) : Buffer.from(Array.from({ length: n }, () => rng.int(256)));
      return { bytes: Buffer.concat([b, tail]), what: `${n} bytes appended` };
    }
  }
  if (b.length > 0) b[at()] = rng.int(256);
  return { bytes: b, what: 'one random byte' };
}

export interface FuzzCase {
  readonly index: number;
  readonly source: string;
  readonly mutations: readonly string[];
  readonly bytes: Buffer;
}

/** Case `index` of `seed`: a weighted pick of a source and 1-3 mutations, all from one child stream. */
export function makeCase(index: number, seed: number, sources: readonly FuzzSource[]): FuzzCase {
  const rng = createRng(seed, `case ${index}`);
  const total = sources.reduce((s, x) => s + x.weight, 0);
  let r = rng.next() * total;
  let src = sources[sources.length - 1];
  for (const s of sources) {
    r -= s.weight;
    if (r < 0) {
      src = s;
      break;
    }
  }
  let bytes = src.bytes;
  const mutations: string[] = [];
  for (let k = 1 + rng.int(3); k > 0; k--) {
    const m = mutateOnce(bytes, rng, sources);
    bytes = m.bytes;
    mutations.push(m.what);
  }
  return { index, source: src.name, mutations, bytes };
}

// ---------------------------------------------------------------- running a case

export type Outcome = 'read' | 'refused';

/**
 * Lists the file, reads every variable (min/max of numeric ones, text of char ones), loads its first
 * 3-D numeric array as a scene cube and its first 2-D one as a label map. Returns 'read' or 'refused' (a typed error naming the
 * file); anything else — an untyped error, or a typed one that does not name the file — is thrown.
 */
export async function exercise(path: string, maxBytes: number): Promise<{ outcome: Outcome; message?: string }> {
  let stage = 'reader';
  try {
    const index = openMatFile(path, { maxBytes });
    inspectMatFile(index);
    for (const v of index.variables) if (v.class === 'char') readMatChar(index, v.name);
    const numeric = index.variables.filter((v) => NUMERIC_CLASSES.has(v.class) && !v.complex);
    const cube = numeric.find((v) => v.dims.length === 3);
    const map = numeric.find((v) => v.dims.length === 2);
    stage = 'scene';
    if (cube !== undefined) await loadScene({ cubePath: path, cubeVar: cube.name, memoryLimitBytes: maxBytes });
    if (map !== undefined) await loadLabels(index.path, { height: map.dims[0], width: map.dims[1] }, map.name, { maxBytes });
    return { outcome: 'read' };
  } catch (e) {
    const typed = e instanceof MatFormatError || e instanceof InputFileError ||
      (stage === 'scene' && (e instanceof DataError || e instanceof ConfigError));
    if (!typed) throw e;
    if (!e.message.includes(path)) throw new Error(`typed error without the file name: ${e.message}`);
    return { outcome: 'refused', message: e.message.slice(path.length) };
  }
}

export interface FuzzFailure {
  readonly index: number;
  readonly source: string;
  readonly mutations: readonly string[];
  readonly error: string;
}

export interface FuzzReport {
  readonly seed: number;
  readonly cases: number;
  readonly read: number;
  readonly refused: number;
  readonly failures: readonly FuzzFailure[];
  /** Slowest case (listing + reading + scene loading), milliseconds, and which it was. */
  readonly maxMs: number;
  readonly slowest: { index: number; source: string };
  /** Peak resident memory of the process at the end, MiB. */
  readonly maxRssMiB: number;
  /** Refusal messages by their first words, most frequent first (what kinds of damage were seen). */
  readonly messages: ReadonlyArray<readonly [string, number]>;
}

export interface FuzzOptions {
  readonly seed: number;
  readonly cases: number;
  /** First case index (default 0): a soak run can continue where another stopped. */
  readonly first?: number;
  readonly sources: readonly FuzzSource[];
  /** Called with each case before it runs (a watchdog can then name a case that hangs). */
  readonly onStart?: (c: FuzzCase) => void;
  /** Called after each case (progress for long runs). */
  readonly onCase?: (c: FuzzCase, ms: number, outcome: Outcome | 'failed') => void;
}

/**
 * Runs `cases` cases from `first`, each written to one scratch file and exercised. Yields to the event
 * loop every 100 cases: Node's synchronous zlib releases a failed inflater (and its output buffer) only
 * on the next tick, so a loop that never yields would hold every one of them.
 */
export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const { seed, cases, sources, first = 0 } = opts;
  const dir = mkdtempSync(join(scratchRoot(), 'spinalnet-fuzz-'));
  const path = join(dir, 'case.mat');
  let read = 0, refused = 0, maxMs = 0;
  let slowest = { index: -1, source: '' };
  const failures: FuzzFailure[] = [];
  const messages = new Map<string, number>();
  try {
    for (let i = first; i < first + cases; i++) {
      if ((i - first) % 100 === 99) await setImmediate();
      const c = makeCase(i, seed, sources);
      opts.onStart?.(c);
      writeFileSync(path, c.bytes);
      const t0 = performance.now();
      let outcome: Outcome | 'failed';
      try {
        const r = await exercise(path, FUZZ_MAX_BYTES);
        outcome = r.outcome;
        if (r.outcome === 'read') read++;
        else {
          refused++;
          const key = (r.message ?? '').replace(/^ \(variable '[^']*'\)/, '').replace(/[0-9]+/g, 'N').slice(0, 70);
          messages.set(key, (messages.get(key) ?? 0) + 1);
        }
      } catch (e) {
        outcome = 'failed';
        failures.push({ index: i, source: c.source, mutations: c.mutations, error: (e as Error).stack ?? String(e) });
      }
      const ms = performance.now() - t0;
      if (ms > maxMs) {
        maxMs = ms;
        slowest = { index: i, source: c.source };
      }
      opts.onCase?.(c, ms, outcome);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    seed, cases, read, refused, failures, maxMs, slowest,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    messages: [...messages].sort((a, b) => b[1] - a[1]),
  };
}

/** RAM-backed /dev/shm when there is one (each case is a file write), else the system temp folder. */
function scratchRoot(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}
