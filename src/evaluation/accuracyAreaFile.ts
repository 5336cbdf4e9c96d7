/** What `spinalnet assess` writes (accuracy-area.json), read by the report and the viewer. */
import type { StratifiedAccuracy } from './stratifiedEstimator.ts';

/** accuracy-area.json. */
export interface AccuracyAreaFile extends StratifiedAccuracy {
  readonly run: string;
  readonly reference: string;
  readonly referenceField: string;
  /** Map units of `pixelArea` and of each class's `area.mapUnits` (e.g. 'm²'), and hectares where the unit is the metre. */
  readonly areaUnit: string;
  readonly hectaresPerPixel: number | null;
  /** Points without a reference label ('', null, can't tell), skipped. */
  readonly skipped: { readonly unlabelled: number; readonly cantTell: number; readonly offMap: number };
  /** Mapped training pixels: in the strata (they are mapped area) but never sampled. */
  readonly outsideFrame: number;
  readonly design: string;
}
