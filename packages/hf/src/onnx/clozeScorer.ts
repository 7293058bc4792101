/**
 * Zero-shot cloze scoring on an ONNX masked-LM through transformers.js (onnxruntime-node, CPU),
 * loaded strictly locally, for users whose checkpoint is an ONNX export (the `onnx/model.onnx`
 * layout of transformers.js / Optimum exports). Inference only: nothing trains through ONNX.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AutoModelForMaskedLM, type PreTrainedModel, type Tensor } from '@huggingface/transformers';
import { PandaError } from '@panda/core';
import { LOCAL_ONLY, localPretrainedPath } from '../local/transformersEnv.js';
import { loadHfTokenizer, type HfTokenizer } from '../tokenizer/hfTokenizer.js';
import { encodeLabelWords, maskPositions, scoreLabels, type ClozeScores, type MultiTokenMode } from '../cloze/labelScores.js';

export interface OnnxClozeOptions {
  /** transformers.js dtype: which file of `onnx/` to load (`fp32` → model.onnx, `q8` → model_quantized.onnx, …). Default `fp32`. */
  dtype?: 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4' | 'bnb4' | 'q4f16';
  /** The model file's base name in `onnx/` (default `model`). */
  modelFileName?: string;
}

const SUFFIX: Record<NonNullable<OnnxClozeOptions['dtype']>, string> = { fp32: '', fp16: '_fp16', q8: '_quantized', int8: '_int8', uint8: '_uint8', q4: '_q4', bnb4: '_bnb4', q4f16: '_q4f16' };

export class OnnxClozeScorer {
  private constructor(
    readonly model: PreTrainedModel,
    readonly tokenizer: HfTokenizer,
    /** The ONNX file that was loaded. */
    readonly modelPath: string,
  ) {}

  /**
   * Loads `<dir>/config.json`, the tokenizer and `<dir>/onnx/<model>.onnx`.
   * @throws `MODEL_NOT_FOUND` for a missing folder, config or ONNX file; `ARCHITECTURE_UNSUPPORTED`
   *   when transformers.js has no masked-LM class for the config's model type; `TOKENIZER_MISMATCH`
   *   when the tokenizer has no mask token.
   */
  static async load(dir: string, options: OnnxClozeOptions = {}): Promise<OnnxClozeScorer> {
    const path = await localPretrainedPath(dir);
    const dtype = options.dtype ?? 'fp32';
    const name = options.modelFileName ?? 'model';
    const modelPath = join(path, 'onnx', `${name}${SUFFIX[dtype]}.onnx`);
    let configText: string;
    try {
      configText = await readFile(join(path, 'config.json'), 'utf8');
      await readFile(modelPath).then(() => undefined);
    } catch (err) {
      throw new PandaError('MODEL_NOT_FOUND', `ONNX masked-LM: ${(err as NodeJS.ErrnoException).path ?? path} is missing (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err, details: { dir: path } });
    }
    let modelType: unknown;
    try {
      modelType = (JSON.parse(configText) as Record<string, unknown>)['model_type'];
    } catch (err) {
      throw new PandaError('CONFIG_INVALID', `${join(path, 'config.json')} is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    const tokenizer = await loadHfTokenizer(path, modelType === 'bert' || modelType === 'roberta' ? { arch: modelType } : {});
    if (tokenizer.maskId === undefined) throw new PandaError('TOKENIZER_MISMATCH', `the tokenizer in ${path} has no mask token: cloze scoring needs one`);
    let model: PreTrainedModel;
    try {
      model = await AutoModelForMaskedLM.from_pretrained(path, { ...LOCAL_ONLY, dtype, device: 'cpu', model_file_name: name });
    } catch (err) {
      const msg = (err as Error).message;
      if (/Unsupported model type|not supported|Could not find|Unrecognized/i.test(msg)) {
        throw new PandaError('ARCHITECTURE_UNSUPPORTED', `transformers.js has no masked-LM model for model_type '${String(modelType)}' in ${path}: ${msg.split('\n')[0]}`, { cause: err, details: { dir: path, modelType } });
      }
      throw new PandaError('MODEL_NOT_FOUND', `transformers.js could not load ${modelPath}: ${msg.split('\n')[0]}`, { cause: err, details: { dir: path } });
    }
    return new OnnxClozeScorer(model, tokenizer, modelPath);
  }

  /**
   * The MLM logits at each text's mask.
   * @returns logits N·V row-major, V, and the mask positions
   * @throws `TEMPLATE_INVALID` when a text does not hold exactly one mask token.
   */
  async logitsAtMask(texts: readonly string[]): Promise<{ logits: Float32Array; vocab: number; maskPositions: number[]; ids: number[][] }> {
    if (texts.length === 0) return { logits: new Float32Array(0), vocab: 0, maskPositions: [], ids: [] };
    const ids = texts.map((t) => this.tokenizer.encode(t));
    const positions = maskPositions(ids, this.tokenizer.maskId!, texts);
    const inputs = this.tokenizer.inner([...texts], { padding: true });
    const out = (await this.model(inputs)) as { logits: Tensor };
    const [n, t, v] = out.logits.dims as [number, number, number];
    const data = out.logits.data as Float32Array;
    const logits = new Float32Array(n * v);
    positions.forEach((p, i) => logits.set(data.subarray((i * t + p) * v, (i * t + p + 1) * v), i * v));
    return { logits, vocab: v, maskPositions: positions, ids };
  }

  /**
   * Zero-shot scores of `labels` for every text (see `cloze/labelScores.ts` for the multi-token choice).
   * @throws `TEMPLATE_INVALID` (mask count), `VERBALIZER_INVALID` (label words).
   */
  async score(texts: readonly string[], labels: readonly string[], options: { multiToken?: MultiTokenMode } = {}): Promise<ClozeScores> {
    const labelIds = encodeLabelWords(this.tokenizer, labels);
    const { logits, vocab, maskPositions: at } = await this.logitsAtMask(texts);
    return { ...scoreLabels(logits, vocab, labelIds, options.multiToken ?? 'first'), labelIds, maskPositions: at };
  }

  /** Releases the ONNX sessions. */
  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}
