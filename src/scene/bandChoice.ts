/**
 * Band facts after loading: false-colour bands chosen from wavelengths (the bands nearest 640, 550 and
 * 460 nm, roughly the centres of red, green and blue), and per-band information kept for the bands left
 * after some were dropped.
 */
import type { BandInfo } from '../core/types.ts';

const RGB_NM = [640, 550, 460] as const;

/**
 * Zero-based bands nearest 640/550/460 nm, when the wavelengths cover the visible range (some band
 * within 50 nm of each); undefined otherwise (a SWIR-only sensor has no true-colour view).
 */
export function rgbFromWavelengths(wavelengthsNm: Float64Array | undefined): [number, number, number] | undefined {
  if (wavelengthsNm === undefined || wavelengthsNm.length === 0) return undefined;
  const pick = (target: number) => {
    let best = 0;
    for (let b = 1; b < wavelengthsNm.length; b++) if (Math.abs(wavelengthsNm[b] - target) < Math.abs(wavelengthsNm[best] - target)) best = b;
    return Math.abs(wavelengthsNm[best] - target) <= 50 ? best : -1;
  };
  const rgb = RGB_NM.map(pick);
  return rgb.every((b) => b >= 0) ? [rgb[0], rgb[1], rgb[2]] : undefined;
}

/** The band information of the bands kept (file bands minus `dropped`). */
export function keepBandInfo(info: BandInfo | undefined, fileBands: number, dropped: readonly number[]): BandInfo | undefined {
  if (info === undefined || dropped.length === 0) return info;
  const drop = new Set(dropped);
  const keep: number[] = [];
  for (let b = 0; b < fileBands; b++) if (!drop.has(b)) keep.push(b);
  return {
    ...(info.wavelengthsNm && { wavelengthsNm: Float64Array.from(keep, (b) => (info.wavelengthsNm as Float64Array)[b]) }),
    ...(info.fwhmNm && { fwhmNm: Float64Array.from(keep, (b) => (info.fwhmNm as Float64Array)[b]) }),
    ...(info.names && { names: keep.map((b) => (info.names as readonly string[])[b]) }),
  };
}
