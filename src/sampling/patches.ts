/**
 * Square windows of a BIP cube around pixels, as NHWC float32 batches, zero outside the scene
 * (the paper's zero padding). No padded copy of the cube is made: each window row is one contiguous
 * run of the BIP array, copied with `set`, so cutting a batch costs little more than its own size.
 */
import { ConfigError } from '../core/errors.ts';
import type { BipRows } from '../scene/reducedScene.ts';
import type { CubeBIP } from '../core/types.ts';

/** Checks a patch size for a cube: odd, positive, not larger than the scene. */
export function checkPatchSize(patch: number, cube: Pick<CubeBIP, 'height' | 'width'>): void {
  if (!Number.isInteger(patch) || patch < 1 || patch % 2 === 0) {
    throw new ConfigError('--patch', 'an odd positive integer (e.g. 15)', patch);
  }
  if (patch > Math.min(cube.height, cube.width)) {
    throw new ConfigError(
      '--patch',
      `at most ${Math.min(cube.height, cube.width)} (the scene is ${cube.height}×${cube.width})`,
      patch,
      `pass a smaller odd --patch, at most the scene's shorter side`,
    );
  }
}

/**
 * Writes the patch×patch×bands window around each pixel (row-major index r*width+c) into `out`,
 * sample after sample in NHWC order. Returns `out` (allocated when not given). The scene is a cube in
 * memory or any BipRows (the reduced scene in a temporary file, src/scene/reducedScene.ts): both are
 * cut by the same loop, one copied row run per patch row.
 */
export function extractPatches(
  cube: CubeBIP | BipRows,
  pixels: ArrayLike<number>,
  patch: number,
  out?: Float32Array,
): Float32Array {
  const { height, width, bands } = cube;
  const copyRun = 'data' in cube
    ? (row: number, c0: number, c1: number, to: Float32Array, at: number) => to.set(cube.data.subarray((row * width + c0) * bands, (row * width + c1) * bands), at)
    : cube.copyRun.bind(cube);
  const radius = (patch - 1) >> 1;
  const rowLen = patch * bands;
  const sampleLen = patch * rowLen;
  const buf = out ?? new Float32Array(pixels.length * sampleLen);
  if (buf.length < pixels.length * sampleLen) {
    throw new RangeError(`extractPatches: buffer holds ${buf.length} values, ${pixels.length * sampleLen} needed`);
  }
  for (let i = 0; i < pixels.length; i++) {
    const p = pixels[i]!;
    const r0 = Math.floor(p / width) - radius;
    const c0 = (p % width) - radius;
    // Columns of the window inside the scene: [cLo, cHi).
    const cLo = Math.max(0, c0);
    const cHi = Math.min(width, c0 + patch);
    const base = i * sampleLen;
    for (let dy = 0; dy < patch; dy++) {
      const r = r0 + dy;
      const rowStart = base + dy * rowLen;
      if (r < 0 || r >= height || cHi <= cLo) {
        buf.fill(0, rowStart, rowStart + rowLen);
        continue;
      }
      const left = (cLo - c0) * bands;
      const right = (c0 + patch - cHi) * bands;
      if (left > 0) buf.fill(0, rowStart, rowStart + left);
      copyRun(r, cLo, cHi, buf, rowStart + left);
      if (right > 0) buf.fill(0, rowStart + rowLen - right, rowStart + rowLen);
    }
  }
  return buf;
}
