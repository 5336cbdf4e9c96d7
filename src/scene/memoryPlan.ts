/**
 * `--memory-limit` and `--tile-size`: parsing the sizes, and choosing how many rows a window of the
 * streamed scene (sceneScan.ts) may hold so that what the scene's stages keep at once fits the limit.
 *
 * What is counted (docs/large-scenes.md explains each): the bytes a reader holds beyond the window
 * (RasterDescription.storedBytes: read buffers and caches, never the raster), one float32 window of the
 * raw cube (rows × width × bands × 4) plus what the reader holds per window row (windowBytesPerRow), and per pixel of the scene what stays in
 * memory for the whole run: the reduced cube (components × 4), the three false-colour bands (12), the
 * label and split maps (3 × 4), the no-data mask (1), the predicted classes and confidence (8). The
 * JavaScript runtime, the model and the patch batches of training and mapping are NOT counted.
 */
import { ConfigError } from '../errors.ts';
import { defaultMemoryLimit, formatBytes } from '../io/mat/limits.ts';
import { DataError } from '../errors.ts';

const UNITS: Record<string, number> = {
  b: 1, k: 1024, kb: 1000, kib: 1024, m: 1024 ** 2, mb: 1000 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1000 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tb: 1000 ** 4, tib: 1024 ** 4,
};

/** "1GiB", "512MiB", "1.5 GB", "800M" (M = MiB), or a plain byte count → bytes. ConfigError naming `flag` otherwise. */
export function parseSize(text: string, flag = '--memory-limit'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m?.[2]?.toLowerCase() ?? '';
  const factor = unit === '' ? 1 : UNITS[unit];
  const bytes = m && factor !== undefined ? Math.floor(Number(m[1]) * factor) : NaN;
  if (!(bytes >= 1)) {
    throw new ConfigError(flag, 'a size such as 1GiB, 512MiB, 1.5GB or a byte count', text, 'write a number followed by B, KiB, MiB, GiB (powers of 1024) or KB, MB, GB (powers of 1000)');
  }
  return bytes;
}

/** `--tile-size N`: rows per tile, an integer ≥ 1. */
export function parseTileSize(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 1) throw new ConfigError('--tile-size', 'a whole number of rows ≥ 1', text);
  return n;
}

export interface MemoryPlanInput {
  readonly height: number;
  readonly width: number;
  /** Bands in the file. */
  readonly bands: number;
  /** Bytes a reader holds beyond the window (RasterDescription.storedBytes). */
  readonly storedBytes: number;
  /** Bytes per window row the reader holds besides the float32 window (RasterDescription.windowBytesPerRow). */
  readonly windowBytesPerRow?: number;
  /** Bands of the reduced cube kept in memory (PCA components); 0 when the cube is loaded whole instead. */
  readonly components: number;
  /** Default `defaultMemoryLimit()`. */
  readonly limit?: number;
  /** Rows per window asked for (`--tile-size`); default: as many as fit. */
  readonly tileRows?: number;
  /** Names the file in messages. */
  readonly file: string;
}

export interface MemoryPlan {
  readonly tileRows: number;
  readonly limit: number;
  /** Bytes held for the whole run, whatever the window. */
  readonly fixedBytes: number;
  /** Bytes one row of the window takes. */
  readonly rowBytes: number;
  /** The smallest limit that works (one-row windows). */
  readonly minimumBytes: number;
}

/** Bytes per scene pixel that stay in memory besides the reduced cube (see the module comment). */
const PER_PIXEL_BYTES = 12 + 12 + 1 + 8;

/**
 * Rows per window: `tileRows` when given, else as many as fit under the limit (the whole scene, one
 * window, when it fits). DataError with the minimum when even one row does not fit.
 */
export function planMemory(p: MemoryPlanInput): MemoryPlan {
  const limit = p.limit ?? defaultMemoryLimit();
  const pixels = p.height * p.width;
  // What the reader says it holds beside the window (every reader reads windows from the file): ENVI
  // its read block (≤ 32 MiB), MAT v5 its read buffer and decoded column block (≤ 8 MiB), GeoTIFF one
  // decoded tile row, MAT v7.3 HDF5's chunk cache and one chunk, plus its hyperslab per window row.
  const storedBytes = p.storedBytes;
  const fixedBytes = storedBytes + pixels * (p.components * 4 + PER_PIXEL_BYTES);
  const rowBytes = p.width * p.bands * 4 + (p.windowBytesPerRow ?? 0);
  const minimumBytes = fixedBytes + rowBytes;
  const fits = Math.floor((limit - fixedBytes) / rowBytes);
  const tileRows = Math.min(p.height, p.tileRows ?? fits);
  if (tileRows < 1 || fixedBytes + tileRows * rowBytes > limit) {
    const asked = p.tileRows === undefined ? 'one row at a time' : `windows of ${tileRows} rows (--tile-size)`;
    throw new DataError(
      `${p.file}: the ${p.height}×${p.width}×${p.bands} scene needs at least ${formatBytes(p.tileRows === undefined ? minimumBytes : fixedBytes + tileRows * rowBytes)} ` +
        `read ${asked} (${formatBytes(fixedBytes - storedBytes)} for the reduced ${p.components}-component scene, maps and labels kept in memory, ` +
        `${storedBytes > 0 ? `${formatBytes(storedBytes)} the reader holds, ` : ''}${formatBytes(rowBytes)} per row read), more than the ${formatBytes(limit)} memory limit`,
      `raise --memory-limit to at least ${formatBytes(minimumBytes)}${p.tileRows === undefined ? '' : ' or use a smaller --tile-size'}; ` +
        '`spinalnet run` can also keep fewer PCA components (--pca). Keeping the reduced scene in a temporary file instead of memory is not implemented yet',
    );
  }
  return { tileRows, limit, fixedBytes, rowBytes, minimumBytes };
}
