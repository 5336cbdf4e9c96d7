/** The images' scale: 1:1 up to 4,096 px a side, else the smallest whole factor; block means for false colour. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePng } from '../../src/render/image.ts';
import { averageCube, previewNote, previewShape } from '../../src/render/preview.ts';

describe('previewShape', () => {
  it('keeps scenes up to 4,096 px a side at 1:1 and scales larger ones by the smallest whole factor', () => {
    expect(previewShape(512, 614)).toEqual({ scale: 1, height: 512, width: 614 });
    expect(previewShape(3072, 4096)).toEqual({ scale: 1, height: 3072, width: 4096 });
    expect(previewShape(4097, 600)).toEqual({ scale: 2, height: 2049, width: 300 });
    expect(previewShape(20_000, 1_000)).toEqual({ scale: 5, height: 4000, width: 200 });
    expect(previewNote(previewShape(512, 614))).toBeUndefined();
    expect(previewNote(previewShape(20_000, 1_000))).toMatch(/^images at 1:5 /);
  });
});

describe('averageCube', () => {
  it('averages the chosen bands over each block, edge blocks over the pixels they have', () => {
    // 3×3 pixels, 2 bands: band 0 = pixel index, band 1 = 100 + index; at 1:2 → 2×2 blocks.
    const data = Float32Array.from({ length: 18 }, (_, i) => (i % 2 === 0 ? i / 2 : 100 + (i - 1) / 2));
    const out = averageCube({ height: 3, width: 3, bands: 2, data }, { scale: 2, height: 2, width: 2 }, [1, 0]);
    expect(out.bands).toBe(2);
    // Block (0,0): pixels 0,1,3,4; (0,1): 2,5; (1,0): 6,7; (1,1): 8.
    expect(Array.from(out.data)).toEqual([102, 2, 103.5, 3.5, 106.5, 6.5, 108, 8]);
  });
});

describe('a run on a scene taller than 4,096 rows', () => {
  it('draws its images at 1:2 and says so in report.md, report.html and run.json', () => {
    const root = join(__dirname, '..', '..');
    const dir = mkdtempSync(join(tmpdir(), 'spinalnet-preview-'));
    const scene = join(dir, 'scene');
    execFileSync(process.execPath, ['--import', 'tsx', join(root, 'bench', 'flightLine.ts'), '--out', scene, '--lines', '4200', '--samples', '16', '--bands', '8', '--classes', '3'], { cwd: root, stdio: 'pipe' });
    const out = join(dir, 'run');
    execFileSync(process.execPath, [join(root, 'bin', 'spinalnet.js'), 'run', '--cube', join(scene, 'flightline.hdr'), '--gt', join(scene, 'flightline_gt.hdr'),
      '--model', 'spinal-mlp', '--pca', '4', '--train-fraction', '0.01', '--epochs', '1', '--seed', '1', '--backend', 'wasm', '--predict-workers', '0', '--out', out], { cwd: root, stdio: 'pipe' });
    for (const f of ['classification-map.png', 'ground-truth.png', 'errors.png', 'false-color.png', 'split.png']) {
      const img = decodePng(readFileSync(join(out, f)));
      expect([img.height, img.width], f).toEqual([2100, 8]);
    }
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/\| images \| images at 1:2 \(each image pixel is 2×2 scene pixels/);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(/<figcaption>False colour \(false-color.png\); images at 1:2 /);
    expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).imageScale).toBe(2);
  }, 120_000);
});
