/**
 * How a scene is cut into windows of whole rows: every stage that walks a scene in pieces (the streamed
 * read and PCA in sceneScan.ts, the map in src/pipeline/tiledMap.ts, the queue's tile jobs in
 * src/queue/predictJobs.ts) takes its windows from here, so they agree on the cuts.
 */

/** Rows [r0, r1) of the scene, plus the rows [a, b) to hold so that a halo of `halo` rows surrounds them (clipped to the scene). */
export interface RowWindow {
  readonly rows: readonly [number, number];
  readonly crop: readonly [number, number];
}

/** Windows of `tileRows` rows (the last may be shorter) covering `height` rows, each with its halo. */
export function rowWindows(height: number, tileRows: number, halo = 0): RowWindow[] {
  if (!Number.isInteger(tileRows) || tileRows < 1) throw new RangeError(`tile rows must be a positive integer, got ${tileRows}`);
  const out: RowWindow[] = [];
  for (let r0 = 0; r0 < height; r0 += tileRows) {
    const r1 = Math.min(height, r0 + tileRows);
    out.push({ rows: [r0, r1], crop: [Math.max(0, r0 - halo), Math.min(height, r1 + halo)] });
  }
  return out;
}
