/**
 * Per-pixel softmax probabilities beside a map's classes: what the tfjs, worker-thread and onnxruntime
 * predictors write when asked (the confidence map and the per-class probability rasters).
 */

/**
 * Softmax outputs beside the classes, for a range start … end − 1: sample start + i is written at
 * index at + i (so a worker can write its range straight into the whole map's arrays).
 */
export interface ProbabilityTargets {
  at: number;
  /** The winning class's probability, one float per sample. */
  confidence?: Float32Array;
  /** Every class's probability, sample-major: class k of sample j at [j * classes + k]. */
  probabilities?: Float32Array;
}

/**
 * Softmax of `n` rows of logits (sample-major, logits.length / n classes each) into `t`, for samples
 * `from` … `from + n − 1` of the range; the confidence is the probability of the class in `classes`
 * (the engine's argmax), so it always belongs to the class the map shows. One implementation for the
 * tfjs, worker-thread and onnxruntime paths, in float64 then rounded to float32.
 */
export function writeSoftmax(logits: Float32Array, n: number, classes: Int32Array, t: ProbabilityTargets, from: number): void {
  const k = logits.length / n;
  for (let i = 0; i < n; i++) {
    const row = i * k;
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, logits[row + j]!);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(logits[row + j]! - max);
    const at = t.at + from + i;
    if (t.confidence) t.confidence[at] = Math.exp(logits[row + classes[i]!]! - max) / sum;
    if (t.probabilities) for (let j = 0; j < k; j++) t.probabilities[at * k + j] = Math.exp(logits[row + j]! - max) / sum;
  }
}
