/**
 * Files whose damage is found only while streaming them: one typed error naming the rows (or the
 * place in the data) and the fix; through the CLI, exit 2 and no output folder. And the temporary file
 * a compressed MAT variable is inflated into: gone after success, failure, Ctrl-C and SIGTERM.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { InputFileError, MatFormatError } from '../../src/core/errors.ts';
import { TEMP_PREFIX } from '../../src/io/mat/inflateToFile.ts';
import { writeMatV5 } from '../../src/io/mat/writer.ts';
import { openRaster } from '../../src/io/raster/openRaster.ts';
import { thrownAsync } from '../helpers.ts';
import { pythonMissing, seededCube, toColumnMajor, writePythonFixtures } from './streamFixtures.ts';

const H = 40, W = 12, B = 6;
const root = join(__dirname, '..', '..');
let dir: string;
let temps: string;
let savedTmp: string | undefined;

/** Temporary inflate files left in `folder`. */
const leftovers = (folder: string) => readdirSync(folder).filter((f) => f.startsWith(TEMP_PREFIX));

/** A MAT v5 file whose one compressed variable's zlib stream is cut at half its bytes (its tag says so too). */
function cutCompressed(path: string): void {
  const bytes = readFileSync(path);
  const n = bytes.readUInt32LE(128 + 4);
  const keep = Math.floor(n / 2);
  const out = Buffer.concat([bytes.subarray(0, 128 + 8), bytes.subarray(128 + 8, 128 + 8 + keep)]);
  out.writeUInt32LE(keep, 128 + 4);
  writeFileSync(path, out);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'spinalnet-cut-'));
  temps = mkdtempSync(join(tmpdir(), 'spinalnet-cut-tmp-'));
  const cube = toColumnMajor(seededCube(H, W, B), H, W, B);
  writeMatV5(join(dir, 'cube.mat'), [{ name: 'cube', data: cube, dims: [H, W, B] }]);
  writeMatV5(join(dir, 'cut.mat'), [{ name: 'cube', data: cube, dims: [H, W, B] }]);
  cutCompressed(join(dir, 'cut.mat'));
  writeMatV5(join(dir, 'gt.mat'), [{ name: 'gt', data: Int32Array.from({ length: H * W }, (_, i) => 1 + (i % 3)), dims: [H, W] }]);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(temps, { recursive: true, force: true });
});

// The inflate's temporary files go to os.tmpdir(), which follows TMPDIR: point it at a folder of our own.
beforeEach(() => {
  savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = temps;
});
afterEach(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
});

describe('a compressed MAT variable, inflated into a temporary file', () => {
  it('reads, and leaves no temporary file behind during or after the read', async () => {
    const source = await openRaster(join(dir, 'cube.mat'));
    expect(source.describe().compression).toBe('zlib');
    const out = await source.readRows(3, 16, new Float32Array(16 * W * B));
    expect(out[0]).toBe(seededCube(H, W, B)[3 * W * B]);
    // Unlinked as soon as it was opened: only the descriptor holds it.
    expect(leftovers(temps)).toEqual([]);
    source.close();
    expect(leftovers(temps)).toEqual([]);
  });

  it('a stream that ends early: a MatFormatError naming the row where the data stop, and no temporary file', async () => {
    const source = await openRaster(join(dir, 'cut.mat')); // listing reads only the start of the stream
    const e = await thrownAsync(() => source.readRows(0, H, new Float32Array(H * W * B)));
    source.close();
    expect(e).toBeInstanceOf(MatFormatError);
    expect((e as MatFormatError).message).toMatch(/its compressed data (stops|ends) after \d+ of the \d+ inflated bytes it declares \(the data stop at row \d+, column \d+, band \d+, counting from 1\)/);
    expect((e as MatFormatError).fix).toMatch(/copy or download it again completely/);
    expect(leftovers(temps)).toEqual([]);
  });

  const procFd = existsSync('/proc/self/fd');
  if (!procFd) console.warn('skipping the signal tests: no /proc/PID/fd to see the child reading');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it.skipIf(!procFd)(`${signal} while a child process reads it leaves no temporary file`, async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'matReadChild.ts'), join(dir, 'cube.mat')], {
        cwd: root, env: { ...process.env, TMPDIR: temps }, stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
      // Mid-read: the child holds the (unlinked) temporary file open.
      const deadline = Date.now() + 60_000;
      let seen = false;
      while (!seen && Date.now() < deadline && child.exitCode === null) {
        try {
          seen = readdirSync(`/proc/${child.pid}/fd`).some((fd) => {
            try {
              return readlinkSync(`/proc/${child.pid}/fd/${fd}`).includes(TEMP_PREFIX);
            } catch {
              return false;
            }
          });
        } catch {
          // the process is starting or gone
        }
        if (!seen) await new Promise((r) => setTimeout(r, 20));
      }
      expect(seen, `the child never held the temporary file open; its stderr: ${stderr}`).toBe(true);
      child.kill(signal);
      expect(await exited).toBe(signal);
      expect(leftovers(temps)).toEqual([]);
    }, 90_000);
  }
});

describe('files cut short while being read', () => {
  it('uncompressed MAT v5: an InputFileError naming the row the data stop in', async () => {
    const path = join(dir, 'plain_cut.mat');
    writeMatV5(path, [{ name: 'cube', data: toColumnMajor(seededCube(H, W, B), H, W, B), dims: [H, W, B] }], { compress: false });
    const source = await openRaster(path);
    truncateSync(path, readFileSync(path).length - 300);
    const e = await thrownAsync(() => source.readRows(0, H, new Float32Array(H * W * B)));
    source.close();
    expect(e).toBeInstanceOf(InputFileError);
    expect((e as Error).message).toMatch(/ends at byte \d+, inside the data of row \d+, column \d+, band 6, counting from 1/);
  });

  describe.skipIf(pythonMissing !== undefined)('GeoTIFF and MAT v7.3', () => {
    let files: Record<string, string | null>;
    beforeAll(() => {
      files = writePythonFixtures(dir, seededCube(H, W, B), H, W, B);
    });

    it('a GeoTIFF cut after it was opened: an InputFileError naming the tile and its rows', async () => {
      const path = files.tiled16_deflate as string;
      const source = await openRaster(path);
      truncateSync(path, Math.floor(readFileSync(path).length / 2));
      const e = await thrownAsync(() => source.readRows(32, 8, new Float32Array(8 * W * B)));
      source.close();
      expect(e).toBeInstanceOf(InputFileError);
      expect((e as Error).message).toMatch(/was cut short while being read: it now ends at byte \d+, but tile \d+ \(rows 33–48\) ends at byte \d+/);
    });

    it('a MAT v7.3 file cut after it was opened: a MatFormatError naming the rows; cut before: refused at open', async () => {
      const path = files.v73_chunked as string;
      const size = readFileSync(path).length;
      const source = await openRaster(path);
      truncateSync(path, Math.floor(size * 0.6));
      const e = await thrownAsync(() => source.readRows(24, 16, new Float32Array(16 * W * B)));
      source.close();
      expect(e).toBeInstanceOf(MatFormatError);
      expect((e as Error).message).toMatch(/was cut short while being read: .* so rows 25–40 cannot be read/);
      const again = await thrownAsync(() => openRaster(path));
      expect(again).toBeInstanceOf(MatFormatError);
      expect((again as Error).message).toMatch(new RegExp(`is truncated: its HDF5 superblock says the data end at byte ${size}, but the file has \\d+ bytes`));
    });
  });
});

/** Runs the CLI in this process; its exit code and what it wrote to stderr. */
async function runCli(args: string[]): Promise<{ code: number; stderr: string }> {
  const lines: string[] = [];
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    return { code: await main(args), stderr: lines.join('') };
  } finally {
    err.mockRestore();
    out.mockRestore();
  }
}

const runArgs = (cube: string) => ['run', '--cube', cube, '--gt', join(dir, 'gt.mat'), '--out', join(dir, 'out'),
  '--epochs', '1', '--backend', 'cpu', '--model', 'spinal-mlp', '--pca', '3', '--memory-limit', '64MiB'];

describe('spinalnet run on a truncated file', () => {
  afterEach(() => {
    // Nothing published: neither the output folder nor a hidden staging folder, and no temporary file.
    expect(readdirSync(dir).filter((f) => f.startsWith('out') || f.startsWith('.out'))).toEqual([]);
    expect(leftovers(temps)).toEqual([]);
  });

  it('a compressed MAT stream that ends early (found while streaming): exit 2, the row named', async () => {
    const r = await runCli(runArgs(join(dir, 'cut.mat')));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the data stop at row \d+/);
    expect(r.stderr).toMatch(/fix: /);
  }, 60_000);

  describe.skipIf(pythonMissing !== undefined)('GeoTIFF and MAT v7.3 cut short', () => {
    let files: Record<string, string | null>;
    beforeAll(() => {
      const sub = mkdtempSync(join(dir, 'cli-'));
      files = writePythonFixtures(sub, seededCube(H, W, B), H, W, B);
      for (const name of ['tiled16_deflate', 'v73_chunked']) {
        const path = files[name] as string;
        truncateSync(path, Math.floor(readFileSync(path).length * 0.6));
      }
    });

    it('a GeoTIFF whose tiles lie past its end: exit 2, the tile named', async () => {
      const r = await runCli(runArgs(files.tiled16_deflate as string));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/tile \d+ of \d+ lies at bytes \d+-\d+, past the end of the \d+-byte file/);
    }, 60_000);

    it('a MAT v7.3 file shorter than its HDF5 superblock says: exit 2', async () => {
      const r = await runCli(runArgs(files.v73_chunked as string));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/is truncated: its HDF5 superblock says the data end at byte \d+, but the file has \d+ bytes/);
    }, 60_000);
  });
});
