/**
 * The viewer as a labelling tool in a real browser (Debian's Chromium, headless, playwright-core), on a
 * real georeferenced run: a pixel clicked and a rectangle dragged end up in the GeoPackage at their
 * coordinates in the scene's CRS (read back by GDAL); sample points of a real `spinalnet sample` output
 * labelled with keys end up in its `reference` field, and once every point has an answer the page shows
 * the accuracy that `spinalnet assess` computes from the same file. The "where to label next" list is
 * `suggestRun`'s, recomputed with the label file excluded once a suggested pixel is labelled.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateRunAccuracy } from '../../src/pipeline/accuracyAssessment.ts';
import { suggestRun } from '../../src/pipeline/suggestRun.ts';
import { startView, type RunningView } from '../../src/view/startView.ts';
import { CHROMIUM, georeferencedRun, hasGdal, launchChromium, ogrFeatures, openReadyPage, rectWkt, sampleCli } from './fixture.ts';

const present = existsSync(CHROMIUM) && hasGdal;
if (!present) console.warn(`skipping the labelling browser tests: ${CHROMIUM} or python3-gdal is absent`);

const root = join(__dirname, '..', '..');
const artifacts = join(root, 'test-artifacts');

/** The page's way of writing a margin (label.js). */
const marginText = (m: number) => (m >= 0.001 || m === 0 ? m.toFixed(3) : m.toExponential(1));

describe.skipIf(!present)('labelling in the viewer, in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spinalnet-label-browser-'));
  const run = join(dir, 'run');
  const labelsFile = join(dir, 'labels.gpkg');
  const samplesFile = join(dir, 'samples.gpkg');
  const nextFile = join(dir, 'next.gpkg');
  let context: BrowserContext;
  let labelling: RunningView;
  let suggesting: RunningView;
  let reference: RunningView;
  const errors: string[] = [];

  beforeAll(async () => {
    await georeferencedRun(run);
    await sampleCli(run, samplesFile, 14, 2);
    labelling = await startView([run], { port: 0, host: '127.0.0.1', labels: labelsFile, suggest: 0 });
    reference = await startView([run], { port: 0, host: '127.0.0.1', reference: samplesFile });
    suggesting = await startView([run], { port: 0, host: '127.0.0.1', labels: nextFile, suggest: 8 });
    context = await launchChromium();
    mkdirSync(artifacts, { recursive: true });
  }, 180_000);
  afterAll(async () => {
    await context?.close();
    await labelling?.close();
    await reference?.close();
    await suggesting?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = (url: string): Promise<Page> => openReadyPage(context, url, errors);
  const at = (page: Page, row: number, col: number) => page.evaluate(([r, c]) => window.spinalnetView.clientPoint(0, r!, c!), [row, col]);

  it('writes a clicked pixel and a dragged rectangle to the GeoPackage at their map coordinates', async () => {
    const page = await open(labelling.url);
    expect(await page.isVisible('#labelling')).toBe(true);
    expect(await page.isVisible('#suggest')).toBe(false); // --suggest 0: no list
    // The first class (1 Scrub) is chosen, the pixel tool is on: one click labels one pixel.
    const p = await at(page, 10, 20);
    await page.mouse.click(p.x, p.y);
    await page.evaluate(() => window.spinalnetView.labelsIdle());
    // Water, rectangle tool, drag from (30, 40) to (32, 45).
    await page.click('#label-classes button[data-code="13"]');
    await page.check('#label-tools input[value="rect"]');
    const a = await at(page, 30, 40);
    const b = await at(page, 32, 45);
    await page.mouse.move(a.x, a.y);
    await page.mouse.down();
    await page.mouse.move(b.x, b.y, { steps: 6 });
    await page.mouse.up();
    await page.evaluate(() => window.spinalnetView.labelsIdle());
    expect(await page.textContent('#label-status')).toBe('labelled 3×6 pixels');
    const features = ogrFeatures(labelsFile, 'labels');
    expect(features.map((f) => [f.fields.landcover, f.fields.code, f.wkt])).toEqual([
      ['Scrub', 1, rectWkt(10, 20, 10, 20)],
      ['Water', 13, rectWkt(30, 40, 32, 45)],
    ]);
    // The count per class, and the features drawn as a layer in their class colour.
    expect(await page.textContent('#label-classes button[data-code="13"]')).toContain('1 feature, 18 px');
    expect(await page.textContent('#label-classes button[data-code="1"]')).toContain('1 feature, 1 px');
    const labelled = await page.evaluate(() => {
      const c = window.spinalnetView.state.maps[0].canvases.labels;
      return [Array.from(c.getContext('2d').getImageData(42, 31, 1, 1).data), Array.from(c.getContext('2d').getImageData(0, 0, 1, 1).data)];
    });
    const water = (await page.evaluate(() => window.spinalnetView.labels().classes.find((c: { code: number }) => c.code === 13).color)) as number[];
    expect(labelled[0]).toEqual([...water, 255]);
    expect(labelled[1]![3]).toBe(0);
    // Undo by key takes the rectangle back out of the file.
    await page.keyboard.press('Control+z');
    await page.evaluate(() => window.spinalnetView.labelsIdle());
    expect(ogrFeatures(labelsFile, 'labels')).toHaveLength(1);
    // Key 5 picks the fifth class (Slash pine); a click with the pixel tool labels; `e` then a click erases it.
    await page.check('#label-tools input[value="pixel"]');
    await page.keyboard.press('5');
    const q = await at(page, 50, 50);
    await page.mouse.click(q.x, q.y);
    await page.evaluate(() => window.spinalnetView.labelsIdle());
    expect(ogrFeatures(labelsFile, 'labels').map((f) => [f.fields.landcover, f.fields.code, f.wkt])).toContainEqual(['Slash pine', 5, rectWkt(50, 50, 50, 50)]);
    await page.keyboard.press('e');
    await page.mouse.click(q.x, q.y);
    await page.evaluate(() => window.spinalnetView.labelsIdle());
    expect(ogrFeatures(labelsFile, 'labels')).toHaveLength(1);
    // A polygon: three clicks, Enter; the stored feature covers the pixel centres inside the triangle.
    await page.keyboard.press('2');
    await page.check('#label-tools input[value="polygon"]');
    for (const [r, c] of [[60, 60], [60, 70], [70, 60]] as const) {
      const v = await at(page, r, c);
      await page.mouse.click(v.x, v.y);
    }
    await page.keyboard.press('Enter');
    await page.evaluate(() => window.spinalnetView.labelsIdle());
    expect(await page.textContent('#label-status')).toBe('labelled a polygon of 3 points');
    const swamp = ogrFeatures(labelsFile, 'labels').filter((f) => f.fields.code === 2);
    expect(swamp).toHaveLength(1);
    expect(swamp[0]!.fields.landcover).toBe('Willow swamp');
    expect(await page.textContent('#label-classes button[data-code="2"]')).toMatch(/1 feature, \d+ px/);
    await page.screenshot({ path: join(artifacts, 'view-labels.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('lists where to label next as `spinalnet suggest` does, centres on a click, and drops a suggestion once labelled', async () => {
    const page = await open(suggesting.url);
    await page.evaluate(() => window.spinalnetView.suggestionsIdle());
    const listed = () => page.evaluate(() => window.spinalnetView.suggestions().map((s: { row: number; col: number }) => [s.row, s.col]));
    const pairs = (r: { rows: Int32Array; cols: Int32Array }) => Array.from(r.rows, (row, i) => [row, r.cols[i]]);
    // The same pixels, in the same order, as the library gives for the run with the (empty) label file excluded.
    const before = await suggestRun(run, { size: 8, exclude: nextFile });
    expect(before.pixels.length).toBe(8);
    expect(await listed()).toEqual(pairs(before));
    expect(await page.locator('#suggest-list li').count()).toBe(8);
    expect(await page.textContent('#suggest-list li:nth-child(1)')).toContain(`1. row ${before.rows[0]}, column ${before.cols[0]} · margin ${marginText(before.margin[0]!)} · map: ${before.mapClass[0]}`);
    // A click on the second entry puts its pixel in the middle of the map and marks it.
    await page.click('#suggest-list li:nth-child(2) button');
    const [r2, c2] = [before.rows[1]!, before.cols[1]!];
    expect(await page.evaluate(() => window.spinalnetView.state.views.marker)).toEqual({ row: r2, col: c2 });
    const centre = await page.evaluate(([r, c]) => {
      const box = window.spinalnetView.state.views.panes[0].canvas.getBoundingClientRect();
      const p = window.spinalnetView.clientPoint(0, r!, c!);
      return [p.x - (box.left + box.width / 2), p.y - (box.top + box.height / 2)];
    }, [r2, c2]);
    expect(Math.abs(centre[0]!)).toBeLessThan(1);
    expect(Math.abs(centre[1]!)).toBeLessThan(1);
    // Label the first suggestion with the pixel tool: it leaves the list at once; refresh asks the server again.
    await page.click('#suggest-list li:nth-child(1) button');
    const p = await at(page, before.rows[0]!, before.cols[0]!);
    await page.mouse.click(p.x, p.y);
    await page.evaluate(() => window.spinalnetView.labelsIdle());
    expect(ogrFeatures(nextFile, 'labels').map((f) => f.wkt)).toEqual([rectWkt(before.rows[0]!, before.cols[0]!, before.rows[0]!, before.cols[0]!)]);
    expect(await listed()).toEqual(pairs(before).slice(1));
    await page.click('#suggest-refresh');
    await page.evaluate(() => window.spinalnetView.suggestionsIdle());
    const after = await suggestRun(run, { size: 8, exclude: nextFile });
    expect(after.candidates).toBe(before.candidates - 1);
    expect(pairs(after)).not.toContainEqual([before.rows[0], before.cols[0]]);
    expect(await listed()).toEqual(pairs(after));
    expect(await page.evaluate(() => window.spinalnetView.state.views.spots.map((s: { row: number; col: number }) => [s.row, s.col]))).toEqual(pairs(after));
    // The pixel probe still answers after the suggestions ran the model (hover of the centred entry).
    await page.click('#suggest-list li:nth-child(1) button');
    await expect.poll(() => page.textContent('#hover')).toContain(`row ${after.rows[0]}, column ${after.cols[0]}`);
    await expect.poll(() => page.textContent('#hover')).toContain('top three');
    // The whole scene in view for the screenshot: the suggestions boxed in cyan with their rank.
    await page.evaluate(() => {
      window.spinalnetView.state.views.fit();
      window.spinalnetView.state.views.draw();
    });
    await page.screenshot({ path: join(artifacts, 'view-suggest.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('labels sample points by keys into `reference`, hides the map class, and shows the assessment when done', async () => {
    let page = await open(reference.url);
    expect(await page.textContent('#ref-progress')).toBe('point 1 of 14 · 0 of 14 labelled');
    // The map's class is hidden (layer off, not in the text) until asked.
    expect(await page.evaluate(() => window.spinalnetView.state.layers.find((l: { id: string }) => l.id === 'prediction').on)).toBe(false);
    expect(await page.textContent('#ref-point')).toContain('map class hidden');
    await page.check('#ref-show-map');
    expect(await page.textContent('#ref-point')).toContain('map class Scrub');
    await page.uncheck('#ref-show-map');
    // Zoomed on the point, with its spectrum against the class means.
    expect(await page.evaluate(() => window.spinalnetView.state.views.marker)).toEqual({ row: expect.any(Number), col: expect.any(Number) });
    await page.waitForSelector('#ref-chart .uplot');
    // Points 1–2 are mapped Scrub, 3–4 Cabbage palm/oak hammock (the sample's strata in order). Keys:
    // 1 = Scrub, 6 = Oak/broadleaf hammock (a map error), 4 = Cabbage palm/oak hammock; each moves on.
    for (const key of ['1', '6', '4']) {
      await page.keyboard.press(key);
      await page.evaluate(() => window.spinalnetView.referenceIdle());
    }
    expect(await page.textContent('#ref-progress')).toBe('point 4 of 14 · 3 of 14 labelled');
    const samples = ogrFeatures(samplesFile, 'samples');
    expect(samples.map((f) => f.fields.reference)).toEqual(['Scrub', 'Oak/broadleaf hammock', 'Cabbage palm/oak hammock', ...new Array(11).fill(null)]);
    // Points 4–13 from another tab (the API, with the token), as mapped but one "can't tell"; then the last one here, by a click.
    const token = new URL(reference.url).searchParams.get('token')!;
    const answers = samples.slice(3, 13).map((f) => [f.fid, f.fid === 7 ? "can't tell" : String(f.fields.map_class)] as const);
    for (const [fid, ref] of answers) {
      const r = await fetch(new URL('/api/reference/point', reference.url), { method: 'POST', headers: { 'x-spinalnet-token': token, 'content-type': 'application/json' }, body: JSON.stringify({ fid, reference: ref }) });
      expect(r.status).toBe(200);
    }
    await page.close();
    page = await open(reference.url);
    expect(await page.textContent('#ref-progress')).toBe('point 14 of 14 · 13 of 14 labelled');
    await page.click('#ref-classes button[data-name="Water"]');
    await page.evaluate(() => window.spinalnetView.referenceIdle());
    expect(await page.textContent('#ref-progress')).toContain('14 of 14 labelled');
    // The page's numbers are those of `spinalnet assess` on the same file.
    const expected = await estimateRunAccuracy(run, { reference: samplesFile });
    expect(expected.n).toBe(13);
    expect(Number.isFinite(expected.overallAccuracy.se)).toBe(true);
    expect(expected.skipped.cantTell).toBe(1);
    const oa = `${(100 * expected.overallAccuracy.estimate).toFixed(1)} %`;
    await expect.poll(() => page.textContent('#ref-oa')).toBe(oa);
    const text = (await page.textContent('#ref-assess'))!;
    expect(text).toContain(`${(100 * expected.overallAccuracy.ci95[0]).toFixed(1)}–${(100 * expected.overallAccuracy.ci95[1]).toFixed(1)}`);
    expect(text).toContain('13 labelled points; 1 "can\'t tell"');
    const water = expected.classes.find((c) => c.name === 'Water')!;
    expect(text).toContain(`${(water.area.pixels.estimate * expected.hectaresPerPixel!).toFixed(1)} ± ${(expected.z * water.area.pixels.se * expected.hectaresPerPixel!).toFixed(1)} ha`);
    await page.screenshot({ path: join(artifacts, 'view-reference.png') });
    expect(errors).toEqual([]);
    await page.close();
  });
});

declare global {
  interface Window {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the page is untyped JS
    spinalnetView: any;
  }
}
