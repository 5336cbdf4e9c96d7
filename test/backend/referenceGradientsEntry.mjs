// Entry of the worker thread that computes the reference gradients (wasm backend) for test/backend/webgpu.test.ts.
// Plain JavaScript: a worker starts without the parent's TypeScript loader, so it registers tsx itself.
import { register } from 'tsx/esm/api';

register();
await import('./referenceGradientsWorker.ts');
