/**
 * The in-memory layout every stage agrees on. Readers convert whatever a file holds into these once.
 */

/**
 * A hyperspectral cube, band-interleaved-by-pixel (BIP, rows × columns × bands, row-major):
 * the value of row r, column c, band b is data[(r * width + c) * bands + b].
 */
export interface CubeBIP {
  readonly height: number;
  readonly width: number;
  readonly bands: number;
  readonly data: Float32Array;
}

/**
 * A label map, row-major: the label of row r, column c is data[r * width + c].
 * Values are the scene's own label values; 0 means unlabelled.
 */
export interface LabelMap {
  readonly height: number;
  readonly width: number;
  readonly data: Int32Array;
}

/** One land-cover class: the value used in the label map and a human name. */
export interface ClassInfo {
  readonly value: number;
  readonly name: string;
}

/** A scene ready for the pipeline. */
export interface Scene {
  readonly name: string;
  readonly cube: CubeBIP;
  /** Ground truth; absent when only a map is wanted. */
  readonly labels?: LabelMap;
  /** Classes present in the labels, ascending by value (model output k = classes[k]). */
  readonly classes: readonly ClassInfo[];
  /** Zero-based band indices for a false-colour view (red, green, blue), when known. */
  readonly rgbBands?: readonly [number, number, number];
}
