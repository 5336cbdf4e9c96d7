// Entry of the worker thread that computes the reference gradients (wasm backend) for test/backend/webgpu.test.ts.
// Plain JavaScript: a worker starts without the parent's TypeScript loader, so it registers tsx itself.
import { startTypeScript } from '../../src/core/startTypeScript.mjs';

await startTypeScript();
await import('./referenceGradientsWorker.ts');
