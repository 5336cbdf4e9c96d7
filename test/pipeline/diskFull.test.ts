/**
 * A disk that fills while the outputs are written: `predict --out` on a 64 KiB tmpfs (mounted here, so
 * it needs root and permission to mount; skipped with a message otherwise). The map's first rasters do
 * not fit: the CLI exits 2 with an error naming the file and the fix, and the disk is left empty (no
 * output folder, no staging folder, no temporary file).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const bin = join(root, 'bin', 'spinalnet.js');
const dir = mkdtempSync(join(tmpdir(), 'spinalnet-full-'));
const tiny = join(dir, 'tiny');
mkdirSync(tiny);

/** Mounts a 64 KiB tmpfs on `tiny`; returns why it could not, or undefined. */
function mountTiny(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', tiny], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `mount -t tmpfs failed (${(err as Error).message.split('\n')[0]})`;
  }
}
const unavailable = mountTiny();
if (unavailable) console.warn(`skipping the full-disk test: ${unavailable}`);

afterAll(() => {
  if (!unavailable) execFileSync('umount', [tiny]);
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(unavailable !== undefined)('a disk that fills while the outputs are written', () => {
  it('predict exits 2 naming the file and the fix, and leaves nothing on the full disk', () => {
    const scene = join(dir, 'scene');
    execFileSync(process.execPath, ['--import', 'tsx', join(root, 'bench', 'flightLine.ts'), '--out', scene, '--lines', '2048', '--samples', '64', '--bands', '16', '--classes', '4'], { cwd: root, stdio: 'pipe' });
    const cube = ['--cube', join(scene, 'flightline.hdr'), '--gt', join(scene, 'flightline_gt.hdr')];
    const trained = join(dir, 'trained');
    execFileSync(process.execPath, [bin, 'run', ...cube, '--model', 'spinal-mlp', '--pca', '8', '--train-fraction', '0.01', '--epochs', '1', '--seed', '2',
      '--backend', 'wasm', '--predict-workers', '0', '--out', trained], { cwd: root, stdio: 'pipe' });

    const r = spawnSync(process.execPath, [bin, 'predict', '--model', join(trained, 'model'), ...cube, '--backend', 'wasm', '--predict-workers', '0',
      '--tile-size', '8', '--out', join(tiny, 'maps')], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/error: \S+\.(tif|mat|png|xml|html|md|json): no space left on the device \(ENOSPC\) while writing the results; nothing was published/);
    expect(r.stderr).toMatch(/fix: free space on that disk/);
    expect(readdirSync(tiny)).toEqual([]);
  }, 120_000);
});
