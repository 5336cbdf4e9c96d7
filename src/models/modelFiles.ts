/**
 * Saving and loading a trained model as a folder: `model.json` + `weights.bin` in the standard
 * TensorFlow.js layers format (what tfjs-node's `file://` handler writes, which is absent without
 * native TensorFlow), plus `spinalnet.json` with everything needed to map a new scene the same way.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputFileError } from '../core/errors.ts';
import { writeFileAtomic } from '../util/atomicWrite.ts';
// Custom layers must be registered before a model that uses them is deserialised.
import './spinalLayer.ts';
import './spatialDropout2d.ts';
import './mnistNet.ts'; // InputConv2D, the first layer of the image models

/** What `spinalnet predict` needs besides the network; `preprocessing` is the stage's own JSON. */
export interface ModelMetadata {
  kind: 'spinalnet-model';
  version: 1;
  modelId: string;
  /** Patch side the model was trained on (1 for spectral models; image models: the image height). */
  patch: number;
  /** Class k of the output = classes[k] (the scene's or image dataset's own label values). */
  classes: { value: number; name: string; color?: [number, number, number] }[];
  /** Bands of the input cube before preprocessing (image models: channels per pixel). */
  inputBands: number;
  /** Zero-based bands of the file dropped before PCA (NaN/Inf in the training scene); dropped again when predicting. */
  droppedBands?: number[];
  /**
   * Preprocessing fitted on the training data, applied unchanged to new inputs: the PCA model for
   * scenes; for image models `{ kind: 'image-normalization', mean, std }` per channel.
   */
  preprocessing: unknown;
  dataset?: string;
  rgbBands?: [number, number, number];
  /**
   * The int8 map's activation ranges (src/inference/onnx/int8.ts), taken on the run's training patches, when
   * the run mapped in int8: predict's int8 maps use them, so they equal the run's map.
   */
  int8Calibration?: { ranges: [number, number][]; samples: number };
  /** Image models only (absent for scene models): the size of an input image. */
  image?: { height: number; width: number; channels: number };
}

export async function saveModel(dir: string, model: tf.LayersModel, meta: ModelMetadata): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = artifacts.weightData;
      const bytes = weights === undefined ? new Uint8Array(0) : new Uint8Array(tf.io.concatenateArrayBuffers(Array.isArray(weights) ? weights : [weights]));
      writeFileAtomic(join(dir, 'weights.bin'), bytes);
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      writeFileAtomic(join(dir, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: bytes.length } };
    }),
  );
  writeFileAtomic(join(dir, 'spinalnet.json'), `${JSON.stringify(meta, null, 2)}\n`);
}

export async function loadModel(dir: string): Promise<{ model: tf.LayersModel; meta: ModelMetadata }> {
  const fix = 'pass --model the model/ folder of a finished `spinalnet run` (it holds model.json, weights.bin and spinalnet.json)';
  for (const f of ['model.json', 'weights.bin', 'spinalnet.json']) {
    if (!existsSync(join(dir, f))) throw new InputFileError(join(dir, f), 'not found', fix);
  }
  let modelJson: { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  let meta: ModelMetadata;
  try {
    modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    meta = JSON.parse(readFileSync(join(dir, 'spinalnet.json'), 'utf8'));
  } catch (err) {
    throw new InputFileError(dir, `model files are not valid JSON (${(err as Error).message})`, fix);
  }
  if (meta.kind !== 'spinalnet-model' || meta.version !== 1) {
    throw new InputFileError(join(dir, 'spinalnet.json'), `not a spinalnet model description (kind ${String(meta.kind)}, version ${String(meta.version)})`, fix);
  }
  const bin = readFileSync(join(dir, 'weights.bin'));
  const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
  try {
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights), weightData }),
    );
    return { model, meta };
  } catch (err) {
    throw new InputFileError(dir, `the model cannot be rebuilt (${(err as Error).message})`, fix);
  }
}
