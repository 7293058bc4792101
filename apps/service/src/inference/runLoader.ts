import * as tf from '@tensorflow/tfjs-core';
import { PandaError } from '@panda/core';
import type { Backbone, SentenceEncoder, TrainableSentenceEncoder } from '@panda/backbones';
import { adapterConfigSchema, encodeExamples, loadRun, padBatch, pairFeatures, secondTower, type AdapterConfig, type TemplateRendering } from '@panda/tuner';
import { Template, softLayout } from '@panda/templates';

// The tuner reads a saved run (`loadRun`: files, schema, tensor shapes); this turns one into a
// classifier on a loaded backbone, as the tuner's evaluation runs it, and batches prediction.

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

/**
 * A trained run, loaded for inference on a backbone: the head, and by method the soft prompt, the
 * folded deep prefix or the tuned encoder weights. Owns its tensors; `dispose()` frees them.
 */
export class LoadedRun {
  readonly #tensors: Record<string, tf.Tensor>;
  readonly #tuned?: TrainableSentenceEncoder;
  #disposed = false;

  /** Longest token sequence the run was trained with (its config's maxSeqLength), if it set one. */
  readonly maxSeqLength: number | undefined;
  /** The template the run rendered its inputs through (its soft tokens take the prompt rows), if any. */
  readonly rendering: TemplateRendering | undefined;

  private constructor(
    readonly dir: string,
    readonly config: AdapterConfig,
    readonly manifest: Record<string, unknown>,
    readonly backbone: Backbone,
    tensors: Record<string, tf.Tensor>,
    tuned?: TrainableSentenceEncoder,
  ) {
    this.#tensors = tensors;
    if (tuned) this.#tuned = tuned;
    const max = (manifest.config as { maxSeqLength?: unknown } | undefined)?.maxSeqLength;
    this.maxSeqLength = typeof max === 'number' && max > 0 ? max : undefined;
    if (config.template !== undefined) {
      const template = Template.parse(config.template);
      this.rendering = { template, layout: softLayout(template, backbone.tokenizer) };
    } else {
      this.rendering = undefined;
    }
  }

  /** True when the run's prompt rows are soft tokens placed by its template (none go in front). */
  get templateSoft(): boolean {
    return (this.rendering?.layout.rows ?? 0) > 0;
  }

  /**
   * Reads a run folder with the tuner's `loadRun` (files, schema, tensor shapes) and checks it
   * against the backbone: the model id must match (`MODEL_MISMATCH`), the head must fit the
   * encoder and the labels, the method's tensors must be there (`SHAPE_MISMATCH`).
   */
  static async load(dir: string, backbone: Backbone): Promise<LoadedRun> {
    const run = await loadRun(dir);
    const { adapter: config, manifest, weights: tensors } = run;
    try {
      LoadedRun.#check(dir, config, backbone);
    } catch (err) {
      tf.dispose(tensors);
      throw err;
    }
    const enc = backbone.encoder;
    const head = { kernel: config.tensors['head/kernel'], bias: config.tensors['head/bias'] };
    let tuned: TrainableSentenceEncoder | undefined;
    try {
      if (config.method === 'model-tuning') {
        if (!enc.trainableCopy) throw new PandaError('CONFIG_INVALID', `backbone ${backbone.id} cannot hold tuned weights`);
        tuned = enc.trainableCopy();
        for (const [name, variable] of Object.entries(tuned.variables())) {
          const saved = tensors[`encoder/${name}`];
          if (!saved || saved.shape.join() !== variable.shape.join()) {
            throw new PandaError('SHAPE_MISMATCH', `run ${dir}: encoder weight '${name}' is ${saved ? `[${saved.shape}]` : 'missing'}, expected [${variable.shape}]`);
          }
          variable.assign(saved);
        }
        // The copy holds the values now; keep only the head (and nothing else) as tensors.
        for (const k of Object.keys(tensors)) {
          if (k.startsWith('encoder/')) {
            tensors[k]!.dispose();
            delete tensors[k];
          }
        }
      }
    } catch (err) {
      tuned?.dispose();
      tf.dispose(tensors);
      throw err;
    }
    return new LoadedRun(dir, config, manifest, backbone, tensors, tuned);
  }

  static #check(dir: string, config: AdapterConfig, backbone: Backbone): void {
    if (config.backbone !== backbone.id) {
      throw new PandaError('MODEL_MISMATCH', `run ${dir} was trained on ${config.backbone}, this process runs ${backbone.id}`);
    }
    const enc = backbone.encoder;
    const c = config.labels.length;
    const head = { kernel: config.tensors['head/kernel'], bias: config.tensors['head/bias'] };
    if (config.objective === 'regression') {
      throw new PandaError(
        'CONFIG_INVALID',
        `run ${dir} is a regression run (task ${config.task}); prediction here returns classes, which a regression head does not give. Its dev and test scores are in ${dir}/manifest.json (metrics.devScore, metrics.testScore)`,
      );
    }
    const inputs = config.pairEncoding === 'two-tower' ? 4 * enc.hidden : enc.hidden;
    if (c < 2 || !head.kernel || head.kernel.join() !== `${inputs},${c}` || !head.bias || head.bias.join() !== `${c}`) {
      throw new PandaError('SHAPE_MISMATCH', `run ${dir}: a classifier head must be [${inputs}, ${c}] + [${c}] for ${c} labels, the config lists [${head.kernel}] + [${head.bias}]`);
    }
    if (config.method === 'prompt-tuning' && config.tensors.prompt?.join() !== `${config.promptLength},${enc.embedDim}`) {
      throw new PandaError('SHAPE_MISMATCH', `run ${dir}: a prompt-tuning run needs a prompt [${config.promptLength}, ${enc.embedDim}]`);
    }
    if (config.method === 'deep-prompt-tuning' && !config.tensors.prefix) {
      throw new PandaError('SHAPE_MISMATCH', `run ${dir}: a deep-prompt-tuning run needs its folded prefix table`);
    }
  }

  get labels(): readonly string[] {
    return this.config.labels;
  }

  /** Token positions the method takes from the text (a soft prompt's rows; a positioned prefix's). */
  get promptPositions(): number {
    if (this.config.method === 'prompt-tuning') return this.templateSoft ? 0 : this.config.promptLength;
    if (this.config.method === 'deep-prompt-tuning' && this.backbone.encoder.prefixLayout?.takesPositions) return this.config.promptLength;
    return 0;
  }

  /**
   * Classifies texts, `batchSize` at a time, exactly as the tuner's evaluation encodes them (a
   * pair joined with a space, cut to the positions the prompt leaves).
   */
  predict(inputs: readonly PredictInput[], batchSize = 32): Prediction[] {
    if (this.#disposed) throw new PandaError('INTERNAL', 'this run was unloaded');
    const { tokenizer } = this.backbone;
    const encoder: SentenceEncoder = this.#tuned ?? this.backbone.encoder;
    const maxTokens = Math.min(encoder.maxPositions - this.promptPositions, this.maxSeqLength ?? Number.POSITIVE_INFINITY);
    const set = encodeExamples(
      tokenizer,
      inputs.map((x, i) => ({ id: String(i), text: x.text, ...(x.textB !== undefined ? { textB: x.textB } : {}), label: 0 })),
      maxTokens,
      this.rendering,
      this.config.pairEncoding,
    );
    const setB = secondTower(set);
    const prompt = this.#tensors.prompt as tf.Tensor2D | undefined;
    const prefix = this.#tensors.prefix as tf.Tensor2D | undefined;
    const kernel = this.#tensors['head/kernel'] as tf.Tensor2D;
    const bias = this.#tensors['head/bias'] as tf.Tensor1D;
    const out: Prediction[] = [];
    for (let start = 0; start < inputs.length; start += batchSize) {
      const rows = Array.from({ length: Math.min(batchSize, inputs.length - start) }, (_, i) => start + i);
      const probs = tf.tidy(() => {
        const usePrompt = this.config.method === 'prompt-tuning' && prompt;
        const embed = (batch: { ids: tf.Tensor2D; mask: tf.Tensor2D; soft?: tf.Tensor2D }): tf.Tensor2D =>
          encoder.forward({
            ids: batch.ids,
            mask: batch.mask,
            ...(usePrompt && batch.soft ? { soft: { rows: prompt, index: batch.soft } } : usePrompt ? { prompt } : {}),
            ...(this.config.method === 'deep-prompt-tuning' && prefix ? { prefix } : {}),
          }).embedding; // [b, hidden]
        const u = embed(padBatch(set, rows, tokenizer.padId)); // [b, hidden]
        const features = setB ? pairFeatures(u, embed(padBatch(setB, rows, tokenizer.padId))) : u; // [b, hidden] or [b, 4·hidden]
        return tf.softmax(tf.add(tf.matMul(features, kernel), bias)); // [b, C]
      });
      const values = probs.dataSync() as Float32Array;
      const c = this.labels.length;
      probs.dispose();
      for (let r = 0; r < rows.length; r++) {
        const p = Array.from(values.subarray(r * c, (r + 1) * c));
        let best = 0;
        for (let k = 1; k < c; k++) if (p[k]! > p[best]!) best = k;
        out.push({ labelIndex: best, label: this.labels[best]!, probabilities: p });
      }
    }
    return out;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    tf.dispose(this.#tensors);
    this.#tuned?.dispose();
  }
}
