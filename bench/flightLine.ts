/**
 * Writes a synthetic flight line for large-scene checks (docs/large-scenes.md): an int16 ENVI BIL cube
 * and a uint8 ENVI label raster, streamed one line at a time (memory stays a few MB whatever the size)
 * and seeded (the same arguments give the same bytes). Default 3,072 lines × 2,048 samples × 224 bands:
 * 2.8 GB. Write it outside the repository (default /tmp/flightline).
 *
 *   node --import tsx bench/flightLine.ts [--out DIR] [--lines N] [--samples N] [--bands N] [--classes K] [--seed S]
 *
 * The scene: K classes on a Voronoi partition of seeded centres (so classes form coherent fields, as
 * land cover does), each with a smooth spectrum of its own, scaled by a slow brightness field plus
 * per-value noise. About a third of the pixels (those near their field's centre) are labelled.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRng } from '../src/util/random.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: '/tmp/flightline' }, lines: { type: 'string', default: '3072' }, samples: { type: 'string', default: '2048' },
    bands: { type: 'string', default: '224' }, classes: { type: 'string', default: '8' }, seed: { type: 'string', default: '1' },
  },
});
const H = Number(values.lines);
const W = Number(values.samples);
const B = Number(values.bands);
const K = Number(values.classes);
const out = values.out!;
mkdirSync(out, { recursive: true });
const rng = createRng(Number(values.seed), 'flight-line');

// Field centres: 6 per class, scattered over the line; a pixel belongs to its nearest centre's class.
const centres = Array.from({ length: 6 * K }, (_, i) => ({ r: rng.next() * H, c: rng.next() * W, k: i % K }));
const radius = Math.sqrt((H * W) / centres.length) * 0.35;
const spectra = Array.from({ length: K }, (_, k) => Float32Array.from({ length: B }, (_, b) => {
  const x = b / B;
  return 1500 + 1200 * Math.abs(Math.sin(3 * x * (k + 1) + k)) + 800 * Math.exp(-((x - 0.2 - 0.07 * k) ** 2) / 0.01);
}));

/** Cheap seeded uniform noise per value (xorshift32): the cube has 1.4 G values, so no per-value object. */
let state = (Number(values.seed) * 2654435761) >>> 0 || 1;
const noise = () => {
  state ^= state << 13; state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5; state >>>= 0;
  return state / 4294967296 - 0.5;
};

const header = (bands: number, type: number, extra: string[]) => ['ENVI', `samples = ${W}`, `lines = ${H}`, `bands = ${bands}`, 'header offset = 0',
  'file type = ENVI Standard', `data type = ${type}`, 'interleave = bil', 'byte order = 0', ...extra].join('\n') + '\n';
writeFileSync(join(out, 'flightline.hdr'), header(B, 2, ['description = {spinalnet synthetic flight line (bench/flightLine.ts)}']));
writeFileSync(join(out, 'flightline_gt.hdr'), header(1, 1, [`class names = {unlabelled, ${Array.from({ length: K }, (_, k) => `field ${k + 1}`).join(', ')}}`]));
const cubeFd = openSync(join(out, 'flightline.bil'), 'w');
const gtFd = openSync(join(out, 'flightline_gt.bil'), 'w');
const line = new Int16Array(W * B);
const gtLine = new Uint8Array(W);
const cls = new Int32Array(W);
const bright = new Float32Array(W);
const start = performance.now();
for (let r = 0; r < H; r++) {
  for (let c = 0; c < W; c++) {
    let best = 0;
    let d2 = Infinity;
    for (let i = 0; i < centres.length; i++) {
      const dr = centres[i].r - r;
      const dc = centres[i].c - c;
      const d = dr * dr + dc * dc;
      if (d < d2) { d2 = d; best = i; }
    }
    cls[c] = centres[best].k;
    bright[c] = 1 + 0.1 * Math.sin(r / 300 + c / 250);
    gtLine[c] = d2 < radius * radius ? centres[best].k + 1 : 0;
  }
  for (let b = 0; b < B; b++) {
    const o = b * W;
    for (let c = 0; c < W; c++) {
      line[o + c] = Math.round(spectra[cls[c]][b] * bright[c] + 60 * noise());
    }
  }
  writeSync(cubeFd, line);
  writeSync(gtFd, gtLine);
  if (r % 256 === 255) process.stderr.write(`${r + 1}/${H} lines, ${((performance.now() - start) / 1000).toFixed(0)} s\n`);
}
closeSync(cubeFd);
closeSync(gtFd);
console.log(`wrote ${join(out, 'flightline.hdr')} (${H}×${W}×${B} int16 BIL, ${((H * W * B * 2) / 1e9).toFixed(2)} GB) and ${join(out, 'flightline_gt.hdr')}`);
