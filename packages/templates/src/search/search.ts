import { z } from 'zod';
import { PandaError, Rng, silent, type ProgressListener } from '@panda/core';
import { accuracy, type Example, type TaskType } from '@panda/datasets';
import { cosine } from '@panda/core';
import type { TokenEmbedder } from '../embed/embedder.js';
import { familyForType } from '../families/families.js';
import { Template } from '../syntax/template.js';
import { defaultLabelWords, labelWords, type LabelWords } from '../verbalizers/labelWords.js';
import { argmax, meanCosine, SimilarityClassifier, type Calibration } from '../verbalizers/similarity.js';
import { createVerbalizer, verbalizerKind } from '../verbalizers/verbalizerRegistry.js';
import { ANSWER_WORDS, distinctiveWords, domainWords } from './dataWords.js';
import { expandGrammar, grammarFor, type PromptGrammar } from './grammar.js';

/** A prompt candidate: template, label view and label words. */
export interface PromptCandidate {
  template: Template;
  /** Label view for similarity scoring (default: the template's text without its fields). */
  answer?: Template;
  words: LabelWords;
  /** Where it came from: `grammar`, `random`, `builtin:<name>`. */
  origin: string;
}

export interface ScoredCandidate extends PromptCandidate {
  /** Accuracy on the search split. */
  score: number;
}

/** Options of {@link searchPrompts}; validated with {@link searchConfigSchema}. */
export const searchConfigSchema = z
  .object({
    seed: z.union([z.number().int(), z.string()]).default(1).describe('one seed for template sampling, word ranking samples and few-shot samples'),
    templates: z.number().int().min(1).default(8).describe('templates drawn from the pattern grammar'),
    wordsPerClass: z.number().int().min(1).max(10).default(3).describe('label words kept per class after ranking, for each template'),
    poolPerClass: z.number().int().min(1).default(20).describe('data-derived label-word candidates per class'),
    rankExamples: z.number().int().min(2).default(128).describe('training examples that rank the candidate words (separate from the search split)'),
    maxCombinations: z.number().int().min(1).default(81).describe('label-word combinations scored per template (a seeded sample when there are more)'),
    scoring: z.enum(['zero-shot', 'few-shot']).default('zero-shot').describe("zero-shot: similarity accuracy; few-shot: accuracy after fitting the 'verbalizer' on 'shots' training examples"),
    verbalizer: z.string().min(1).default('soft').describe('few-shot scoring: a registered verbalizer kind that reads embeddings (registerVerbalizer); fitted when it is trainable'),
    shots: z.number().int().min(1).default(32).describe('training examples per few-shot fit (few-shot scoring)'),
    calibration: z.enum(['none', 'content-free', 'mean']).default('mean').describe('class-bias removal of similarity scores'),
  })
  .strict();
export type SearchConfig = z.infer<typeof searchConfigSchema>;
export type SearchConfigInput = z.input<typeof searchConfigSchema>;

/** The task a search runs on: its type (or template hint) and label names. */
export interface SearchTask {
  name?: string;
  type: TaskType;
  /** A registered template family (its grammar is searched). */
  template?: string;
  labels: readonly string[];
}

export interface SearchOptions {
  task: SearchTask;
  /** Labelled examples that the label words are mined from and ranked on. */
  train: readonly Example[];
  /** Labelled examples candidates are scored on (the search's dev split). */
  dev: readonly Example[];
  embedder: TokenEmbedder;
  config?: SearchConfigInput;
  /** Grammar to draw templates from (default: the family's built-in grammar). */
  grammar?: PromptGrammar;
  onProgress?: ProgressListener;
}

export interface SearchResult {
  best: ScoredCandidate;
  /** Every scored candidate, best first (ties keep generation order). */
  candidates: ScoredCandidate[];
  config: SearchConfig;
  /** Rows the encoder embedded (cache hits not counted). */
  embeddedRows: number;
}

/** Per-class word pools: defaults for the label names, data-distinctive words, answer words for pairs. */
export function wordPools(task: SearchTask, train: readonly Example[], perClass: number): string[][] {
  const defaults = defaultLabelWords(task.labels).words;
  const mined = distinctiveWords(train, task.labels.length, { perClass });
  const family = task.template ?? familyForType(task.type);
  const generic = family === 'single' ? [] : ANSWER_WORDS;
  return task.labels.map((_, c) => [...new Set([...defaults[c]!, ...mined[c]!, ...generic])]);
}

/** Every label-word assignment of one word per class from `top`, plus all top words together; seeded sample if more than `max`. */
function combinations(top: readonly string[][], max: number, rng: Rng): string[][][] {
  let combos: string[][][] = [[]];
  for (const list of top) combos = combos.flatMap((prefix) => list.map((w) => [...prefix, [w]]));
  if (combos.length > max) combos = rng.shuffle(combos).slice(0, max);
  if (top.every((l) => l.length > 1)) combos.push(top.map((l) => [...l]));
  return combos;
}

/** Accuracy of precomputed similarity scores after calibration. */
function calibratedAccuracy(raw: number[][], labels: readonly number[], calibration: Calibration, contentFree?: number[]): number {
  let bias: number[] | undefined;
  if (calibration === 'mean') bias = raw[0]!.map((_, c) => raw.reduce((a, r) => a + r[c]!, 0) / raw.length);
  else if (calibration === 'content-free') bias = contentFree;
  const predictions = raw.map((r) => argmax(bias ? r.map((v, c) => v - bias![c]!) : r));
  return accuracy(predictions, labels);
}

/**
 * Automatic prompt search for a sentence encoder: draws templates from a pattern grammar (filled with
 * the task's own domain words), mines label-word candidates from the training data (log-odds
 * "Fightin' Words" per class, plus the label names' usual words), ranks each class's words by how
 * much more similar they are to that class's training inputs than to the others', scores every
 * combination of the top words on the dev split (zero-shot, or after fitting a soft verbalizer on a
 * few shots), and keeps the best. Deterministic for a seed; reports progress per template.
 *
 * Queries are embedded once per template; trying label words costs only their label views.
 * (LM-BFF's automatic templates and label words, Gao et al. 2021, adapted to a model with no MLM head.)
 */
export async function searchPrompts(options: SearchOptions): Promise<SearchResult> {
  const config = searchConfigSchema.parse(options.config ?? {});
  const { task, train, dev, embedder } = options;
  const onProgress = options.onProgress ?? silent;
  if (dev.length === 0 || train.length === 0) throw new PandaError('CONFIG_INVALID', 'prompt search needs labelled train and dev examples');
  if (task.labels.length < 2) throw new PandaError('CONFIG_INVALID', 'prompt search needs a classification task (two or more labels)');
  if (task.type === 'choice' || task.type === 'regression') {
    throw new PandaError('CONFIG_INVALID', `prompt search needs a fixed label space; a ${task.type} task has none (use the built-in ${task.type === 'choice' ? 'choice' : ''} templates)`);
  }
  if (config.scoring === 'few-shot' && verbalizerKind(config.verbalizer).input !== 'embedding') {
    throw new PandaError('CONFIG_INVALID', `few-shot scoring needs a verbalizer kind that reads embeddings; '${config.verbalizer}' reads ${verbalizerKind(config.verbalizer).input}`);
  }
  const rng = new Rng(config.seed);
  const family = task.template ?? familyForType(task.type);
  const grammar = options.grammar ?? grammarFor(family);
  const drawn = rng.fork('templates').shuffle(expandGrammar(grammar, domainWords(train))).slice(0, config.templates);
  const pools = wordPools(task, train, config.poolPerClass);
  const rankSet = new Rng(`${config.seed}/rank`).shuffle([...train]).slice(0, config.rankExamples);
  const shotSet = config.scoring === 'few-shot' ? new Rng(`${config.seed}/shots`).shuffle([...train]).slice(0, config.shots) : [];
  const devLabels = dev.map((x) => x.label);
  const before = 'stats' in embedder ? (embedder as { stats: { rows: number } }).stats.rows : 0;

  const scored: ScoredCandidate[] = [];
  onProgress({ type: 'start', phase: 'prompt-search', total: drawn.length, message: `${drawn.length} templates, ${dev.length} dev examples` });
  for (const [ti, cand] of drawn.entries()) {
    const template = Template.parse(cand.source, `grammar/${ti}`);
    const answer = cand.answer !== undefined ? Template.parse(cand.answer) : undefined;
    const clf = new SimilarityClassifier(template, defaultLabelWords(task.labels), { ...(answer ? { answer } : {}), calibration: config.calibration });
    const perExampleKeys = !clf.sharedKeys;
    if (perExampleKeys && config.scoring === 'few-shot') {
      throw new PandaError('CONFIG_INVALID', `few-shot scoring needs label views without fields; template ${cand.source} has answer ${clf.answer.source}`);
    }
    // Queries: [N] for rank, dev and shot sets (one embedding pass, cached by the embedder).
    const sets = [rankSet, dev, shotSet];
    const queryRows = sets.flatMap((s) => s.map((x) => clf.queryIds(x, embedder)));
    const vectors = await embedder.embedIds(queryRows);
    const [qRank, qDev, qShot] = [vectors.slice(0, rankSet.length), vectors.slice(rankSet.length, rankSet.length + dev.length), vectors.slice(rankSet.length + dev.length)];
    // Keys: word → vector (shared) or word → vector per example.
    const keyOf = async (examples: readonly Example[], ws: readonly string[]): Promise<Map<string, Float32Array[]>> => {
      const rows = (perExampleKeys ? examples : examples.slice(0, 1)).map((x) => ws.map((w) => clf.keyIdsFor(x, w, embedder)));
      const vec = await embedder.embedIds(rows.flat());
      return new Map(ws.map((w, i) => [w, rows.map((_, n) => vec[n * ws.length + i]!)]));
    };
    const keyFor = (keys: Map<string, Float32Array[]>, w: string, n: number): Float32Array => {
      const list = keys.get(w)!;
      return list[perExampleKeys ? n : 0]!;
    };
    // Rank words per class by mean similarity to the class's inputs minus to the others' (Δ).
    const rankWords = perExampleKeys ? pools.map((p) => p.slice(0, 4)) : pools;
    const rankKeys = await keyOf(rankSet, [...new Set(rankWords.flat())]);
    const delta = new Map<string, number[]>();
    for (const w of new Set(rankWords.flat())) {
      const sum = new Float64Array(task.labels.length);
      const cnt = new Float64Array(task.labels.length);
      rankSet.forEach((x, n) => {
        const s = cosine(qRank[n]!, keyFor(rankKeys, w, n));
        for (let c = 0; c < task.labels.length; c++) {
          if (x.label === c) {
            sum[c]! += s;
            cnt[c]!++;
          }
        }
      });
      const mean = [...sum].map((s, c) => (cnt[c]! > 0 ? s / cnt[c]! : 0));
      const all = mean.reduce((a, b) => a + b, 0);
      delta.set(w, mean.map((m) => m - (all - m) / Math.max(1, task.labels.length - 1)));
    }
    // Each word goes to the class it favours most; keep the top words per class.
    const top = rankWords.map((pool, c) =>
      pool
        .filter((w) => argmax(delta.get(w)!) === c)
        .sort((a, b) => delta.get(b)![c]! - delta.get(a)![c]! || (a < b ? -1 : 1))
        .slice(0, config.wordsPerClass),
    );
    top.forEach((list, c) => {
      if (list.length === 0) list.push(defaultLabelWords(task.labels).words[c]![0]!);
    });
    const combos = combinations(top, config.maxCombinations, rng.fork(`combos/${ti}`));
    const used = [...new Set(top.flat())];
    const devKeys = await keyOf(dev, used);
    let bestHere = -1;
    for (const combo of combos) {
      let words: LabelWords;
      try {
        words = labelWords({ labels: [...task.labels], words: combo });
      } catch {
        continue; // a word shared by two classes
      }
      let score: number;
      if (config.scoring === 'few-shot') {
        const verbalizer = createVerbalizer(config.verbalizer, { words, wordEmbeddings: combo.map((ws) => ws.map((w) => keyFor(devKeys, w, 0))) });
        verbalizer.fit?.(qShot, shotSet.map((x) => x.label), { steps: 50, lr: 0.2, l2ToInit: 0.1 });
        score = accuracy(qDev.map((q) => argmax(verbalizer.scores(q))), devLabels);
      } else {
        const raw = dev.map((_, n) => combo.map((ws) => meanCosine(qDev[n]!, ws.map((w) => keyFor(devKeys, w, n)))));
        const contentFree = config.calibration === 'content-free' ? await clf.with({ words }).contentFreeBias(dev[0]!, embedder) : undefined;
        score = calibratedAccuracy(raw, devLabels, config.calibration, contentFree);
      }
      bestHere = Math.max(bestHere, score);
      scored.push({ template, ...(answer ? { answer } : {}), words, origin: 'grammar', score });
    }
    onProgress({ type: 'step', phase: 'prompt-search', step: ti + 1, total: drawn.length, loss: 1 - bestHere });
  }
  if (scored.length === 0) throw new PandaError('INTERNAL', 'prompt search scored no candidate');
  const order = scored.map((c, i) => ({ c, i })).sort((a, b) => b.c.score - a.c.score || a.i - b.i);
  const candidates = order.map((o) => o.c);
  const after = 'stats' in embedder ? (embedder as { stats: { rows: number } }).stats.rows : 0;
  onProgress({ type: 'done', phase: 'prompt-search', metrics: { bestScore: candidates[0]!.score, candidates: candidates.length } });
  return { best: candidates[0]!, candidates, config, embeddedRows: after - before };
}

/**
 * `n` random candidates from the same space the search explores: a template drawn uniformly from
 * the grammar's derivations and, for each class, a word drawn uniformly from its pool (no ranking,
 * no scoring). Their accuracies are the baseline the search must beat. Deterministic for the seed.
 */
export function randomCandidates(task: SearchTask, train: readonly Example[], n: number, options: { seed?: number | string; grammar?: PromptGrammar; poolPerClass?: number } = {}): PromptCandidate[] {
  const rng = new Rng(options.seed ?? 1).fork('random');
  const family = task.template ?? familyForType(task.type);
  const all = expandGrammar(options.grammar ?? grammarFor(family), domainWords(train));
  const pools = wordPools(task, train, options.poolPerClass ?? 20);
  const out: PromptCandidate[] = [];
  for (let attempt = 0; out.length < n && attempt < n * 20; attempt++) {
    const c = all[rng.int(all.length)]!;
    const combo = pools.map((p) => [p[rng.int(p.length)]!]);
    let words: LabelWords;
    try {
      words = labelWords({ labels: [...task.labels], words: combo });
    } catch {
      continue; // the same word drawn for two classes: draw again
    }
    out.push({ template: Template.parse(c.source, `random/${out.length}`), ...(c.answer !== undefined ? { answer: Template.parse(c.answer) } : {}), words, origin: 'random' });
  }
  return out;
}

/** Accuracy of a candidate on labelled examples (zero-shot similarity). */
export async function evaluateCandidate(candidate: PromptCandidate, examples: readonly Example[], embedder: TokenEmbedder, calibration: Calibration = 'mean'): Promise<number> {
  const clf = new SimilarityClassifier(candidate.template, candidate.words, { ...(candidate.answer ? { answer: candidate.answer } : {}), calibration });
  return (await clf.evaluate(examples, embedder)).accuracy;
}
