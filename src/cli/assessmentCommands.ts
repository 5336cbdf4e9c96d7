/**
 * `spinalnet sample RUN …` and `spinalnet assess RUN …`: a probability sample of the map, and accuracy and
 * area from its labels; `spinalnet suggest RUN …`: where to label next.
 */
import { ConfigError } from '../core/errors.ts';
import { assessRun, sampleRun } from '../pipeline/accuracyAssessment.ts';
import { ASSESSMENT_FILES } from '../pipeline/accuracyAssessment.ts';
import { suggestRun } from '../pipeline/suggestRun.ts';
import { BACKEND_CHOICES } from '../backend/selectBackend.ts';
import { INFERENCE_ENGINES } from '../inference/parallel/parallelPredict.ts';
import { bool, num, oneOf, parse, str } from './args.ts';
import { ASSESS_HELP, SAMPLE_HELP, SUGGEST_HELP } from './help.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

function oneRun(positionals: string[], command: string): string {
  if (positionals.length !== 1) throw new ConfigError(`spinalnet ${command}`, 'one run folder', positionals.join(' ') || 'nothing', `run \`spinalnet ${command} RUN_DIR …\` (see --help)`);
  return positionals[0]!;
}

/** --expected-ua 0.85 (every class) or 1:0.9,2:0.7 (by class value). */
function expectedUa(text: string | undefined): number | Map<number, number> | undefined {
  if (text === undefined) return undefined;
  if (!text.includes(':')) {
    const u = Number(text);
    if (!(u >= 0 && u <= 1)) throw new ConfigError('--expected-ua', 'a user\'s accuracy between 0 and 1, or value:accuracy pairs (1:0.9,2:0.7)', text);
    return u;
  }
  const map = new Map<number, number>();
  for (const pair of text.split(',')) {
    const [v, u] = pair.split(':').map(Number);
    if (!Number.isInteger(v) || !(u! >= 0 && u! <= 1)) throw new ConfigError('--expected-ua', 'value:accuracy pairs such as 1:0.9,2:0.7', pair);
    map.set(v!, u!);
  }
  return map;
}

export async function sampleCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parse(argv, {
    help: { type: 'boolean', short: 'h' }, size: { type: 'string' }, 'target-se': { type: 'string' }, 'expected-ua': { type: 'string' },
    'min-per-class': { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' },
  }, 'sample');
  if (v.help) {
    out(SAMPLE_HELP);
    return 0;
  }
  const run = oneRun(positionals, 'sample');
  const target = str(v, 'out');
  if (target === undefined) throw new ConfigError('--out', 'the GeoPackage to write (e.g. samples.gpkg)', undefined);
  const size = num(v, 'size');
  const targetSe = num(v, 'target-se');
  if (size !== undefined && targetSe !== undefined) throw new ConfigError('--size', 'either --size or --target-se', `${size} and ${targetSe}`, 'give one of them');
  const ua = expectedUa(str(v, 'expected-ua'));
  const r = await sampleRun(run, {
    ...(size !== undefined && { size }), ...(targetSe !== undefined && { targetSe }), ...(ua !== undefined && { expectedUserAccuracy: ua }),
    minPerClass: num(v, 'min-per-class', 50), seed: num(v, 'seed', 1), out: target, force: bool(v, 'force', false),
  });
  for (const w of r.warnings) err(`warning: ${w}`);
  if (targetSe !== undefined) out(`sample size for a standard error of overall accuracy of ${targetSe}: ${r.size} points (Olofsson et al. 2014, eq. 13)`);
  out(`design: ${r.rule}`);
  for (const s of r.strata) out(`  ${String(s.value).padStart(4)} ${s.name.padEnd(24)} ${String(s.sampled).padStart(5)} points of ${s.pixels} mapped pixels`);
  out(`${r.size} points: ${r.gpkg} (layer samples; fill its 'reference' field in QGIS), ${r.csv}, and ${r.png} (the map with the points)`);
  return 0;
}

export async function assessCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parse(argv, {
    help: { type: 'boolean', short: 'h' }, reference: { type: 'string' }, 'reference-field': { type: 'string' }, layer: { type: 'string' },
    out: { type: 'string' }, fpc: { type: 'boolean' },
  }, 'assess');
  if (v.help) {
    out(ASSESS_HELP);
    return 0;
  }
  const run = oneRun(positionals, 'assess');
  const reference = str(v, 'reference');
  if (reference === undefined) throw new ConfigError('--reference', 'the labelled sample (samples.gpkg, a CSV, or a point layer)', undefined);
  const dir = str(v, 'out') ?? run;
  const r = await assessRun(run, {
    reference, ...(str(v, 'reference-field') !== undefined && { referenceField: str(v, 'reference-field')! }), ...(str(v, 'layer') !== undefined && { layer: str(v, 'layer')! }),
    out: dir, finitePopulationCorrection: bool(v, 'fpc', false),
  });
  for (const w of r.warnings) err(`warning: ${w}`);
  const p = (e: { estimate: number; ci95: [number, number] }) => `${(100 * e.estimate).toFixed(1)} % (95 % CI ${(100 * e.ci95[0]).toFixed(1)}–${(100 * e.ci95[1]).toFixed(1)})`;
  out(`overall accuracy ${p(r.overallAccuracy)} from ${r.n} labelled points`);
  for (const c of r.classes) out(`  ${String(c.value).padStart(4)} ${c.name.padEnd(24)} user's ${p(c.userAccuracy)}, producer's ${p(c.producerAccuracy)}, area ${p(c.areaProportion)} of the map`);
  out(`written: ${dir}/${ASSESSMENT_FILES.json}, ${dir}/${ASSESSMENT_FILES.markdown}; the run's report.html shows them`);
  return 0;
}

export async function suggestCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parse(argv, {
    help: { type: 'boolean', short: 'h' }, size: { type: 'string' }, spacing: { type: 'string' }, exclude: { type: 'string' }, layer: { type: 'string' },
    out: { type: 'string' }, force: { type: 'boolean' }, backend: { type: 'string' }, inference: { type: 'string' },
  }, 'suggest');
  if (v.help) {
    out(SUGGEST_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new ConfigError('spinalnet suggest', 'one or more run folders', 'nothing', 'run `spinalnet suggest RUN_DIR --size N --out suggest.gpkg` (see --help)');
  const target = str(v, 'out');
  if (target === undefined) throw new ConfigError('--out', 'the GeoPackage to write (e.g. suggest.gpkg)', undefined);
  const size = num(v, 'size');
  if (size === undefined) throw new ConfigError('--size', 'the number of pixels to suggest', undefined);
  const spacing = num(v, 'spacing');
  const r = await suggestRun(positionals, {
    size, ...(spacing !== undefined && { spacing }), ...(str(v, 'exclude') !== undefined && { exclude: str(v, 'exclude')! }),
    ...(str(v, 'layer') !== undefined && { excludeLayer: str(v, 'layer')! }), out: target, force: bool(v, 'force', false),
    backend: oneOf(v, 'backend', BACKEND_CHOICES, 'auto'), inference: oneOf(v, 'inference', INFERENCE_ENGINES, 'auto'), log: err,
  });
  for (const w of r.warnings) err(`warning: ${w}`);
  for (let i = 0; i < r.pixels.length; i++) {
    out(`  ${String(i + 1).padStart(4)}  row ${String(r.rows[i]).padStart(5)}  col ${String(r.cols[i]).padStart(5)}  margin ${r.margin[i]!.toPrecision(3)}${r.disagreement ? `  disagreement ${r.disagreement[i]!.toFixed(2)}` : ''}  ${r.mapClass[i]}`);
  }
  out(`${r.pixels.length} pixels of ${r.candidates} unlabelled (spacing ${r.spacing}): ${r.gpkg} (layer suggestions; fill its 'class' field in QGIS)`);
  return 0;
}
