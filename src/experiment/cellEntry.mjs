// Entry of an experiment cell process. Plain JavaScript because a forked process starts without the
// parent's TypeScript loader (the CLI registers tsx in-process): register tsx here, then load the cell runner.
import { startTypeScript } from '../core/startTypeScript.mjs';

await startTypeScript();
await import('./cellProcess.ts');
