// A child process for test/training/libtorchGradients.test.ts: calls process.exit(3) while a libtorch step runs.
import { createLibtorchGradientStep } from '../../src/training/engines/libtorch/libtorchGradients.ts';
import { getModelSpec } from '../../src/models/registry.ts';

const model = getModelSpec('spinal-cnn').build({ patch: 15, channels: 30, numClasses: 13 });
const step = createLibtorchGradientStep(model, [15, 15, 30], 13, 2);
if (typeof step === 'string') throw new Error(step);
const n = 1024;
void step.gradients(new Float32Array(n * 15 * 15 * 30).fill(0.5), n, new Int32Array(n), new Float32Array(13).fill(1));
setTimeout(() => process.exit(3), 100);
