// Entry of a prediction worker thread. Plain JavaScript because a worker starts without the parent's
// TypeScript loader (the CLI registers tsx in-process, which worker threads do not inherit): register
// tsx here, then load the TypeScript worker.
import { startTypeScript } from '../../core/startTypeScript.mjs';

await startTypeScript();
await import('./predictWorker.ts');
