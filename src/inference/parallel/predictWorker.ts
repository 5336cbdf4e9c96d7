/**
 * One prediction worker: its own tfjs engine and backend, a copy of the model, the cube in shared memory.
 * Classifies the ranges the parent sends and writes classes (and softmax probabilities, when asked)
 * straight into the shared outputs.
 */
import * as tf from '@tensorflow/tfjs';
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '../../backend/selectBackend.ts';
// Custom layers register their classes on import; the saved topology names them.
import '../../models/spinalLayer.ts';
import '../../models/spatialDropout2d.ts';
import '../../models/mnistNet.ts';
import { predictRange } from '../predict.ts';
import { patchSource } from '../../sampling/sampleSource.ts';
import type { WorkerCommand, WorkerReport, WorkerSetup } from './protocol.ts';

const port = parentPort!;
const post = (m: WorkerReport) => port.postMessage(m);

async function start(setup: WorkerSetup): Promise<void> {
  await selectBackend(setup.backend);
  const model = await tf.loadLayersModel(tf.io.fromMemory(setup.artifacts as tf.io.ModelArtifacts));
  const { height, width, bands } = setup.cube;
  const cube = { height, width, bands, data: new Float32Array(setup.cube.data) };
  const source = patchSource(cube, setup.patch, setup.pixels ? new Int32Array(setup.pixels) : undefined);
  const out = new Int32Array(setup.out);
  const confidence = setup.confidence && new Float32Array(setup.confidence);
  const probabilities = setup.probabilities && new Float32Array(setup.probabilities);
  const wanted = confidence || probabilities;
  // async: predictRange reads asynchronously; the parent sends a worker one range at a time.
  port.on('message', async (command: WorkerCommand) => {
    if (command.kind === 'stop') {
      model.dispose();
      port.close();
      return;
    }
    try {
      // Probabilities go straight into the shared arrays at the range's place.
      const targets = wanted ? { at: command.start, confidence, probabilities } : undefined;
      out.set(await predictRange(model, source, command.start, command.end, { batchSize: setup.batchSize, probabilities: targets }), command.start);
      post({ kind: 'done', start: command.start, end: command.end });
    } catch (err) {
      post({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  });
  post({ kind: 'ready' });
}

start(workerData as WorkerSetup).catch((err: unknown) => {
  post({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
});
