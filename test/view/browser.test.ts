/**
 * The page of `spinalnet view` in a real browser: Debian's Chromium, headless, driven by playwright-core
 * (no browser download). Loads with no console errors, hover shows a known pixel's classes, a confusion
 * cell highlights exactly its pixels, a click draws a spectrum, two runs sit side by side; screenshots
 * at two sizes go to test-artifacts/ (gitignored).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMatNumeric } from '../../src/io/mat/reader.ts';
import { makeDemoScene } from '../../src/scene/demoScene.ts';
import { startView, type RunningView } from '../../src/view/startView.ts';
import { CHROMIUM, demoRun, georeferencedRun, imageRun, launchChromium, openReadyPage, withView } from './fixture.ts';

const present = existsSync(CHROMIUM);
if (!present) console.warn(`skipping the browser tests: ${CHROMIUM} is absent (apt-get install chromium)`);

const root = join(__dirname, '..', '..');
const artifacts = join(root, 'test-artifacts');
const H = 96;
const W = 96;

describe.skipIf(!present)('spinalnet view in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spinalnet-browser-'));
  const runA = join(dir, 'mlp-seed1');
  const runB = join(dir, 'mlp-seed2');
  const placed = join(dir, 'georeferenced');
  let context: BrowserContext;
  let one: RunningView;
  let two: RunningView;
  let images: RunningView;
  const errors: string[] = [];

  beforeAll(async () => {
    await Promise.all([demoRun(runA, 1), demoRun(runB, 2), imageRun(dir, join(dir, 'image'))]);
    await georeferencedRun(placed);
    one = await startView([runA], { port: 0, host: '127.0.0.1' });
    images = await startView([join(dir, 'image')], { port: 0, host: '127.0.0.1' });
    two = await startView([runA, runB], { port: 0, host: '127.0.0.1' });
    context = await launchChromium();
    mkdirSync(artifacts, { recursive: true });
  }, 180_000);
  afterAll(async () => {
    await context?.close();
    await one?.close();
    await two?.close();
    await images?.close();
  });

  const open = (url: string): Promise<Page> => openReadyPage(context, url, errors);

  const scene = makeDemoScene();
  const values = scene.classes.map((c) => c.value);
  const nameOf = (value: number) => `${value} ${scene.classes.find((c) => c.value === value)!.name}`;
  /** The run's files, read independently of the server: truth, prediction and role per pixel. */
  function runMaps(run: string) {
    const pred = readMatNumeric(join(run, 'prediction.mat'), 'prediction').data;
    const split = readMatNumeric(join(run, 'split.mat'), 'split').data;
    const at = (p: number) => (p % W) * H + Math.floor(p / W); // column-major
    return {
      truth: (p: number) => scene.labels!.data[p]!,
      predicted: (p: number) => Number(pred[at(p)]),
      role: (p: number) => Number(split[at(p)]),
    };
  }

  it("loads with no console errors and shows a known pixel's true and predicted class on hover", async () => {
    const page = await open(one.url);
    const maps = runMaps(runA);
    // A test pixel that the model got wrong, so the two names differ.
    let p = 0;
    while (!(maps.role(p) === 3 && maps.predicted(p) !== maps.truth(p))) p++;
    const row = Math.floor(p / W);
    const col = p % W;
    const pt = await page.evaluate(([r, c]) => window.spinalnetView.clientPoint(0, r!, c!), [row, col]);
    await page.mouse.move(pt.x, pt.y);
    await expect.poll(() => page.textContent('#hover')).toContain(`row ${row}, column ${col}`);
    expect(await page.textContent('#hover .truth')).toContain(nameOf(maps.truth(p)));
    expect(await page.textContent('#hover .predicted')).toContain(nameOf(maps.predicted(p)));
    // The top three come from the saved model; its best class is the mapped one.
    await expect.poll(() => page.textContent('#top-0')).toMatch(new RegExp(`^${nameOf(maps.predicted(p))} \\d+\\.\\d%`));
    // The run wrote confidence.tif: the layer is offered, and the hover's confidence (from the file) is the
    // saved model's top probability (recomputed on the server).
    expect(await page.locator('#controls label[data-layer="confidence"]').count()).toBe(1);
    const hover = (await page.textContent('#hover .predicted'))!;
    const top = (await page.textContent('#top-0'))!;
    expect(hover.match(/confidence (\d+\.\d)%/)![1]).toBe(top.match(/ (\d+\.\d)%/)![1]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('offers no confidence layer when the run folder has no confidence.tif', async () => {
    const bare = join(dir, 'without-confidence');
    cpSync(runA, bare, { recursive: true });
    rmSync(join(bare, 'confidence.tif'));
    await withView([bare], async (url) => {
      const page = await open(url);
      expect(await page.locator('#controls label[data-layer="confidence"]').count()).toBe(0);
      expect(await page.locator('#controls label[data-layer="prediction"]').count()).toBe(1);
      expect(errors).toEqual([]);
      await page.close();
    });
  });

  it('shows map coordinates of the hovered pixel centre when the scene is georeferenced', async () => {
    await withView([placed], async (url) => {
      const page = await open(url);
      const pt = await page.evaluate(() => window.spinalnetView.clientPoint(0, 10, 20));
      await page.mouse.move(pt.x, pt.y);
      // GDAL's convention: the centre of (row, col) is ApplyGeoTransform(gt, col + 0.5, row + 0.5).
      await expect.poll(() => page.textContent('#hover')).toContain(`map x ${(440720 + 20.5 * 18).toFixed(2)}, y ${(3751320 - 10.5 * 18).toFixed(2)}`);
      expect(errors).toEqual([]);
      await page.close();
    });
  });

  it('highlights exactly the pixels of a clicked confusion cell and steps through them', async () => {
    const page = await open(one.url);
    const maps = runMaps(runA);
    const metrics = JSON.parse(readFileSync(join(runA, 'metrics.json'), 'utf8'));
    const m: number[][] = metrics.confusionMatrix;
    // The largest off-diagonal cell.
    let best = { t: 0, p: 1, n: -1 };
    m.forEach((row, t) => row.forEach((n, q) => t !== q && n > best.n && (best = { t, p: q, n })));
    expect(best.n).toBeGreaterThan(0);
    const expected: number[] = [];
    for (let p = 0; p < H * W; p++) if (maps.role(p) === 3 && maps.truth(p) === values[best.t] && maps.predicted(p) === values[best.p]) expected.push(p);
    expect(expected).toHaveLength(best.n);
    await page.click(`table.confusion[data-mode="counts"] td[data-t="${best.t}"][data-p="${best.p}"]`);
    expect(await page.evaluate(() => window.spinalnetView.highlighted())).toEqual(expected);
    expect(await page.textContent('#highlight-text')).toContain(`${best.n} test pixels`);
    // On the canvas: a highlighted pixel is drawn in the highlight colour, a pixel outside the cell is not.
    const colorAt = (q: number) =>
      page.evaluate(([r, c]) => {
        const { views } = window.spinalnetView.state;
        const canvas = views.panes[0].canvas;
        const { scale, ox, oy } = views.view;
        return Array.from(canvas.getContext('2d').getImageData(Math.floor(ox + (c + 0.5) * scale), Math.floor(oy + (r + 0.5) * scale), 1, 1).data);
      }, [Math.floor(q / W), q % W]);
    await page.mouse.move(0, 0); // the cursor box must not cover the pixels read
    expect(await colorAt(expected[0]!)).toEqual([255, 0, 255, 255]);
    const outside = Array.from({ length: H * W }, (_, q) => q).find((q) => !expected.includes(q) && maps.role(q) === 3)!;
    expect(await colorAt(outside)).not.toEqual([255, 0, 255, 255]);
    await page.click('#hl-next');
    expect(await page.textContent('#highlight-text')).toContain(`pixel 1 of ${best.n}`);
    expect(await page.evaluate(() => window.spinalnetView.state.views.marker)).toEqual({ row: Math.floor(expected[0]! / W), col: expected[0]! % W });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('draws a spectrum against the classes on click, pins it, and takes screenshots at two sizes', async () => {
    const page = await open(one.url);
    const maps = runMaps(runA);
    let p = 0;
    while (maps.truth(p) === 0) p++;
    const pt = await page.evaluate(([r, c]) => window.spinalnetView.clientPoint(0, r!, c!), [Math.floor(p / W), p % W]);
    await page.mouse.click(pt.x, pt.y);
    await page.waitForSelector('#spectrum-chart .uplot');
    const legend = await page.textContent('#spectrum-chart');
    expect(legend).toContain(`pixel ${Math.floor(p / W)},${p % W}`);
    expect(legend).toContain(`${scene.classes.find((c) => c.value === maps.truth(p))!.name} mean`);
    await page.click('#pin');
    expect(await page.locator('#pins li').count()).toBe(1);
    await page.screenshot({ path: join(artifacts, 'view-1400x900.png'), fullPage: false });
    await page.setViewportSize({ width: 820, height: 1100 });
    await page.waitForTimeout(200);
    await page.screenshot({ path: join(artifacts, 'view-820x1100.png'), fullPage: false });
    expect(existsSync(join(artifacts, 'view-820x1100.png'))).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('puts two runs side by side with linked views and a disagreement layer', async () => {
    const page = await open(two.url);
    expect(await page.locator('.pane canvas').count()).toBe(2);
    expect(await page.locator('#controls label[data-layer="disagree"]').count()).toBe(1);
    const a = runMaps(runA);
    const b = runMaps(runB);
    let p = 0;
    while (a.predicted(p) === b.predicted(p)) p++;
    const row = Math.floor(p / W);
    const col = p % W;
    // Hover in pane B: the cursor, and both runs' predictions, show for that pixel.
    const pt = await page.evaluate(([r, c]) => window.spinalnetView.clientPoint(1, r!, c!), [row, col]);
    await page.mouse.move(pt.x, pt.y);
    await expect.poll(() => page.textContent('#hover')).toContain(`row ${row}, column ${col}`);
    const predicted = await page.locator('#hover .predicted').allTextContents();
    expect(predicted[0]).toContain(nameOf(a.predicted(p)));
    expect(predicted[1]).toContain(nameOf(b.predicted(p)));
    // Zooming one pane zooms both: the same pixel stays at the same place in each canvas.
    await page.mouse.wheel(0, -300);
    const [pa, pb] = await page.evaluate(([r, c]) => [0, 1].map((i) => {
      const q = window.spinalnetView.clientPoint(i, r!, c!);
      const box = window.spinalnetView.state.views.panes[i].canvas.getBoundingClientRect();
      return [q.x - box.left, q.y - box.top];
    }), [row, col]);
    expect(pa![0]).toBeCloseTo(pb![0]!, 3);
    expect(pa![1]).toBeCloseTo(pb![1]!, 3);
    await page.screenshot({ path: join(artifacts, 'view-two-runs.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows an image-dataset run without a map: evidence, curves, misclassified images', async () => {
    const page = await open(images.url);
    expect(await page.isHidden('#mapsection')).toBe(true);
    expect(await page.locator('table.confusion[data-mode="counts"] td[data-t]').count()).toBe(4);
    await page.waitForSelector('.run-evidence .uplot');
    await page.waitForFunction(() => (document.querySelector('img.figure') as HTMLImageElement | null)?.naturalWidth! > 0);
    expect(errors).toEqual([]);
    await page.close();
  });
});

declare global {
  interface Window {
    // The page's test handle (src/view/page/app.js); plain JS, so typed loosely here.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the page is untyped JS
    spinalnetView: any;
  }
}
