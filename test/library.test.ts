// The library surface: the README's example runs as written against the package's own entry, and the
// plain-Node entry (src/index.mjs) exports exactly what src/index.ts does.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as api from '../src/index.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'spinalnet-library-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The first ```js block under README's "Using it as a library". */
function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Using it as a library'));
  const code = section?.match(/```js\n([\s\S]*?)```/)?.[1];
  if (!code) throw new Error('README has no js example under "Using it as a library"');
  return code;
}

describe('spinalnet as a library', () => {
  it('runs the README example with plain Node, importing the package by name', () => {
    // A module inside the package resolves 'spinalnet' to the package itself (package.json exports).
    const scratch = join(ROOT, '.vitest-tmp');
    mkdirSync(scratch, { recursive: true });
    const script = join(scratch, `library-example-${process.pid}.mjs`);
    writeFileSync(script, readmeExample());
    try {
      const out = execFileSync(process.execPath, [script], { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
      expect(out.trim()).toMatch(/^done: overall accuracy \d+\.\d %, files in \S*outputs\/library-demo$/);
      const record = JSON.parse(readFileSync(join(work, 'outputs', 'library-demo', 'run.json'), 'utf8')) as { status: string; config: { epochs: number } };
      expect(record.status).toBe('done');
      expect(record.config.epochs).toBe(3);
    } finally {
      rmSync(script, { force: true });
    }
  }, 300_000);

  it('exports the same names from the plain-Node entry as from src/index.ts', () => {
    const entry = readFileSync(join(ROOT, 'src', 'index.mjs'), 'utf8');
    const listed = entry.match(/export const \{([\s\S]*?)\}/)![1]!.split(',').map((s) => s.trim()).filter(Boolean).sort();
    expect(listed).toEqual(Object.keys(api).sort());
  });
});
