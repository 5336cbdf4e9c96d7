/**
 * `--memory-limit` and `--tile-size`: parsing the sizes, and choosing how many rows a window of the
 * streamed scene (sceneScan.ts) may hold so that what the scene's stages keep at once fits the limit.
 *
 * What is counted (docs/large-scenes.md explains each): the bytes a reader holds beyond the window
 * (RasterDescription.storedBytes: read buffers and caches, never the raster), one float32 window of the
 * raw cube (rows × width × bands × 4) plus what the reader holds per window row (windowBytesPerRow), and per pixel of the scene what stays in
 * memory for the whole run: the reduced cube (components × 4), the three false-colour bands (12), the
 * label and split maps (3 × 4), the no-data mask (1), the predicted classes and confidence (8), and what
 * the caller says the model stage holds (workMemory.ts: the model's weights and optimizer state, one
 * batch of training patches and one of map patches). When the reduced cube does not fit, `run` and
 * `predict` keep it in a temporary file (reducedScene.ts) and the plan counts a window's scores and the
 * map's window instead. The JavaScript runtime and the model's activations are NOT counted.
 */
import { ConfigError } from '../core/errors.ts';
import { defaultMemoryLimit, formatBytes } from '../core/memory.ts';
import { DataError } from '../core/errors.ts';

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
  /** Bands of the reduced cube (PCA components); 0 when the cube is loaded whole instead. */
  readonly components: number;
  /** Default `defaultMemoryLimit()`. */
  readonly limit?: number;
  /** Rows per window asked for (`--tile-size`); default: as many as fit. */
  readonly tileRows?: number;
  /** Names the file in messages. */
  readonly file: string;
  /** What the model stage holds besides the scene (workMemory.ts: the model, one batch of training and of map patches); default 0. */
  readonly work?: { readonly bytes: number; readonly what: string };
  /**
   * The reduced scene may go to a temporary file when it does not fit (`run`, and `predict` mapping
   * here); `halo` is half the patch, the rows a map window or patch read holds beyond its own.
   */
  readonly reducedFile?: { readonly halo: number };
}

export interface MemoryPlan {
  readonly tileRows: number;
  readonly limit: number;
  /** Bytes held for the whole run, whatever the window. */
  readonly fixedBytes: number;
  /** Bytes one row of the window takes (the raw row, plus its scores when they go to the file). */
  readonly rowBytes: number;
  /** The smallest limit that works (one-row windows). */
  readonly minimumBytes: number;
  /** Set when the reduced scene is kept in a temporary file: rows (halo included) one read of it may hold. */
  readonly reducedFile?: { readonly windowRows: number };
}

/** Bytes per scene pixel that stay in memory besides the reduced cube (see the module comment). */
const PER_PIXEL_BYTES = 12 + 12 + 1 + 8;

/**
 * Rows per window: `tileRows` when given, else as many as fit under the limit (the whole scene, one
 * window, when it fits), with the reduced scene in memory. When it does not fit and `reducedFile` allows
 * it, the reduced scene goes to a temporary file: then a window also holds its scores before they are
 * written, and the map's windows (and patch reads) may take what the windows took, since the scene's file
 * is closed by then. DataError with the minimum when even one row does not fit.
 */
export function planMemory(input: MemoryPlanInput): MemoryPlan {
  const limit = input.limit ?? defaultMemoryLimit();
  const pixels = input.height * input.width;
  // What the reader says it holds beside the window (every reader reads windows from the file): ENVI
  // its read block (≤ 32 MiB), MAT v5 its read buffer and decoded column block (≤ 8 MiB), GeoTIFF one
  // decoded tile row, MAT v7.3 HDF5's chunk cache and one chunk, plus its hyperslab per window row.
  const storedBytes = input.storedBytes;
  const workBytes = input.work?.bytes ?? 0;
  const mapsBytes = pixels * PER_PIXEL_BYTES;
  // A raw row: its float32 values plus what the reader holds per window row.
  const rawRow = input.width * input.bands * 4 + (input.windowBytesPerRow ?? 0);
  const scoreRow = input.width * input.components * 4;
  const inMemory = storedBytes + workBytes + mapsBytes + input.height * scoreRow;
  const memoryRows = Math.min(input.height, input.tileRows ?? Math.floor((limit - inMemory) / rawRow));
  if (memoryRows >= 1 && inMemory + memoryRows * rawRow <= limit) {
    return { tileRows: memoryRows, limit, fixedBytes: inMemory, rowBytes: rawRow, minimumBytes: inMemory + rawRow };
  }
  const held = [
    `${formatBytes(mapsBytes)} for the maps and labels kept in memory`,
    ...(storedBytes > 0 ? [`${formatBytes(storedBytes)} the reader holds`] : []),
    ...(input.work ? [`${formatBytes(workBytes)} for ${input.work.what}`] : []),
  ];
  let minimumBytes: number;
  let needed: number;
  let detail: string;
  if (input.reducedFile === undefined) {
    minimumBytes = inMemory + rawRow;
    needed = input.tileRows === undefined ? minimumBytes : inMemory + memoryRows * rawRow;
    detail = [`${formatBytes(input.height * scoreRow)} for the reduced ${input.components}-component scene`, ...held, `${formatBytes(rawRow)} per row read`].join(', ');
  } else {
    // The windows (raw rows and their scores) come and go before the map's windows are read.
    const fixedBytes = storedBytes + workBytes + mapsBytes;
    const rowBytes = rawRow + scoreRow;
    const bandMinimum = (1 + 2 * input.reducedFile.halo) * scoreRow;
    const budget = limit - fixedBytes;
    const tileRows = Math.min(input.height, input.tileRows ?? Math.floor(budget / rowBytes));
    minimumBytes = fixedBytes + Math.max(rowBytes, bandMinimum);
    if (tileRows >= 1 && tileRows * rowBytes <= budget && bandMinimum <= budget) {
      return { tileRows, limit, fixedBytes, rowBytes, minimumBytes, reducedFile: { windowRows: Math.min(input.height, Math.floor(budget / scoreRow)) } };
    }
    needed = input.tileRows === undefined ? minimumBytes : fixedBytes + Math.max(tileRows * rowBytes, bandMinimum);
    detail = [
      `the reduced ${input.components}-component scene in a temporary file`, ...held,
      `${formatBytes(rowBytes)} per row read and projected`, `${formatBytes(bandMinimum)} for one map row with its halo of ${input.reducedFile.halo} rows above and below`,
    ].join(', ');
  }
  const asked = input.tileRows === undefined ? 'one row at a time' : `windows of ${Math.max(1, memoryRows)} rows (--tile-size)`;
  throw new DataError(
    `${input.file}: the ${input.height}×${input.width}×${input.bands} scene needs at least ${formatBytes(needed)} read ${asked} (${detail}), more than the ${formatBytes(limit)} memory limit`,
    `raise --memory-limit to at least ${formatBytes(minimumBytes)}${input.tileRows === undefined ? '' : ' or use a smaller --tile-size'}; ` +
      '`spinalnet run` can also keep fewer PCA components (--pca)' +
      (input.reducedFile === undefined && input.components > 0 ? '. Only `run`, `predict` and `experiment` working in this process can keep the reduced scene in a temporary file; on a queue (`--queue`, `spinalnet worker`) it is kept in memory' : ''),
  );
}
