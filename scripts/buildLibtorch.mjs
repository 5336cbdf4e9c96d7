#!/usr/bin/env node
// Builds the optional libtorch training step (native/libtorch) with node-gyp, at `npm install`/`npm ci`
// and by `npm run build:libtorch`. Where libtorch's headers are missing it says so and leaves the step
// out (training then runs on onnxruntime); a failed build does the same unless --required is given.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'native', 'libtorch');
const required = process.argv.includes('--required');
const HEADERS = '/usr/include/torch/csrc/api/include/torch/torch.h';
const say = (line) => console.log(`spinalnet: ${line}`);

if (!existsSync(HEADERS)) {
  say(`libtorch training step not built: no libtorch headers (${HEADERS}). For --training libtorch: apt-get install libtorch-dev, then npm run build:libtorch`);
  process.exit(required ? 1 : 0);
}
// npm hands its own node-gyp to scripts; outside npm, the one npm ships.
const gyp = process.env.npm_config_node_gyp ?? join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
// Node's headers: npm's nodedir setting where there is one, else those of the Node that runs this.
const nodedir = process.env.npm_config_nodedir || join(dirname(process.execPath), '..');
try {
  execFileSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  say('libtorch training step built (native/libtorch/build/Release/torch_step.node)');
} catch (err) {
  // Nothing half-built stays behind: the step is there whole or not at all.
  rmSync(join(dir, 'build'), { recursive: true, force: true });
  const stderr = String(err.stderr ?? err.message).trim().split('\n').filter((l) => /error/i.test(l)).slice(0, 5).join('\n');
  say(`libtorch training step not built: node-gyp failed${stderr ? `:\n${stderr}` : ''}`);
  process.exit(required ? 1 : 0);
}
