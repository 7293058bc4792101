import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import type { Backbone } from '@panda/backbones';
import { adapterConfigSchema, loadAdaptedModel, type AdaptedModel, type AdapterConfig } from '@panda/tuner';

// The tuner reads a saved run and rebuilds its adapted model (the one path from a row to logits
// that training and evaluation use); this checks that it can classify and batches prediction.

export { adapterConfigSchema };
export type { AdapterConfig };

/** One text (or text pair) to classify. */
export interface PredictInput {
  text: string;
  textB?: string;
}

export interface Prediction {
  /** Class index into the run's labels. */
  labelIndex: number;
  label: string;
  /** Softmax over the classes, in label order. */
  probabilities: number[];
}

/** A trained run, loaded for inference on a backbone. Owns its model; `dispose()` frees it. */
export class LoadedRun {
  readonly #model: AdaptedModel;
  #disposed = false;

  private constructor(
    readonly dir: string,
    readonly config: AdapterConfig,
    readonly manifest: Record<string, unknown>,
    readonly backbone: Backbone,
    model: AdaptedModel,
  ) {
    this.#model = model;
  }

  /**
   * Reads a run folder and rebuilds its adapted model (`MODEL_MISMATCH` for another backbone's
   * run; the method's own checks give `SHAPE_MISMATCH`), then checks it is a classifier whose head
   * fits its labels.
   */
  static async load(dir: string, backbone: Backbone): Promise<LoadedRun> {
    const { model, adapter, manifest } = await loadAdaptedModel(dir, backbone);
    try {
      LoadedRun.#check(dir, adapter, model);
    } catch (err) {
      model.dispose();
      throw err;
    }
    return new LoadedRun(dir, adapter, manifest, backbone, model);
  }

  static #check(dir: string, config: AdapterConfig, model: AdaptedModel): void {
    if (config.objective === 'regression') {
      throw new PandaError(
        'CONFIG_INVALID',
        `run ${dir} is a regression run (task ${config.task}); prediction here returns classes, which a regression head does not give. Its dev and test scores are in ${dir}/manifest.json (metrics.devScore, metrics.testScore)`,
      );
    }
    const c = config.labels.length;
    if (c < 2 || model.head.outputs !== c) {
      throw new PandaError('SHAPE_MISMATCH', `run ${dir}: a classifier head must give ${c} ≥ 2 outputs for its labels, it gives ${model.head.outputs}`);
    }
  }

  get labels(): readonly string[] {
    return this.config.labels;
  }

  /** The adapted model (for task embeddings and comparisons); owned by this run. */
  get model(): AdaptedModel {
    return this.#model;
  }

  /** Token positions the method takes from the text (a soft prompt's rows; a positioned prefix's). */
  get promptPositions(): number {
    return this.#model.method.promptPositions;
  }

  /**
   * Classifies texts, `batchSize` at a time, through the run's own model and input encoding (the
   * frozen encoder's passes on the backbone's inference engine when it has one).
   */
  async predict(inputs: readonly PredictInput[], batchSize = 32): Promise<Prediction[]> {
    if (this.#disposed) throw new PandaError('INTERNAL', 'this run was unloaded');
    const set = this.#model.encode(inputs.map((x, i) => ({ id: String(i), text: x.text, ...(x.textB !== undefined ? { textB: x.textB } : {}), label: 0 })));
    const logits = await this.#model.setLogits(set, batchSize); // [N, C]
    const probs = tf.tidy(() => tf.softmax(logits)); // [N, C]
    const values = probs.dataSync() as Float32Array;
    tf.dispose([logits, probs]);
    const c = this.labels.length;
    return inputs.map((_, r) => {
      const p = Array.from(values.subarray(r * c, (r + 1) * c));
      let best = 0;
      for (let k = 1; k < c; k++) if (p[k]! > p[best]!) best = k;
      return { labelIndex: best, label: this.labels[best]!, probabilities: p };
    });
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#model.dispose();
  }
}
