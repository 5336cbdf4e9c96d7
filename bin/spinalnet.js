#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so there is no build step between a clone and a run.
import { startTypeScript } from '../src/core/startTypeScript.mjs';

await startTypeScript();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
