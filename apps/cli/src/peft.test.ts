/**
 * PEFT adapters from the CLI on the tiny Hugging Face BERT (packages/hf/fixtures/tiny-bert): a real
 * prompt-tuning and deep-prompt-tuning run, `panda export --format peft`, `panda import --format peft`,
 * and the imported run predicts the same probabilities as the original. Bad PEFT folders are refused
 * with CHECKPOINT_INVALID. (No PyTorch PEFT load here: the key names follow PEFT's save format.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeSafetensors } from '@panda/runtime';

const BIN = fileURLToPath(new URL('../bin/panda.js', import.meta.url));
const BERT = fileURLToPath(new URL('../../../packages/hf/fixtures/tiny-bert', import.meta.url));
const TEXTS = ['a lovely happy film', 'terrible awful waste', 'free money click now'];

function panda(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, PANDA_BACKEND: 'wasm' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function probabilities(run: string): number[][] {
  const r = panda(['predict', run, ...TEXTS, '--json']);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { probabilities: number[] }).probabilities);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'panda-peft-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// tiny-bert: hidden 32, 2 layers, 4 heads.
describe.each([
  { method: 'prompt-tuning', peftType: 'PROMPT_TUNING', width: 32, layers: 1, heads: 1 },
  { method: 'deep-prompt-tuning', peftType: 'PREFIX_TUNING', width: 2 * 2 * 32, layers: 2, heads: 4 },
])('$method on tiny BERT as a PEFT $peftType adapter', ({ method, peftType, width, layers, heads }) => {
  it('exports PEFT config and tensors, and imports back to a run with identical predictions', async () => {
    const run = join(dir, method);
    const t = panda(['tune', '-t', 'spam', '--model', BERT, '--method', method, '--prompt-length', '4', '--epochs', '1', '--batch-size', '8', '--max-train', '16', '--max-dev', '8', '--max-seq-length', '32', '-o', run, '--json']);
    expect(t.status, t.stderr).toBe(0);
    // The run's own config is panda_adapter.json: PEFT's adapter_config.json appears only in an export.
    expect((await readdir(run)).filter((f) => f.endsWith('.json')).sort()).toEqual(['manifest.json', 'panda_adapter.json']);
    const peft = join(dir, `${method}-peft`);
    const e = panda(['export', run, '--format', 'peft', '--out', peft, '--json']);
    expect(e.status, e.stderr).toBe(0);

    const config = JSON.parse(await readFile(join(peft, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toEqual({ peft_type: peftType, task_type: 'SEQ_CLS', num_virtual_tokens: 4, token_dim: 32, num_layers: layers, num_attention_heads: heads, num_transformer_submodules: 1, base_model_name_or_path: BERT, inference_mode: true });
    const { tensors } = decodeSafetensors(await readFile(join(peft, 'adapter_model.safetensors')), 'adapter_model.safetensors');
    expect(Object.keys(tensors).sort()).toEqual(['base_model.classifier.bias', 'base_model.classifier.weight', 'prompt_embeddings']);
    expect(tensors['prompt_embeddings']!.shape).toEqual([4, width]);
    expect(tensors['base_model.classifier.weight']!.shape).toEqual([2, 32]);
    expect(tensors['base_model.classifier.bias']!.shape).toEqual([2]);

    const back = join(dir, `${method}-back`);
    const i = panda(['import', peft, '--format', 'peft', '--out', back, '--json']);
    expect(i.status, i.stderr).toBe(0);
    expect(probabilities(back)).toEqual(probabilities(run));
  });
});

describe('bad PEFT folders', () => {
  async function broken(name: string, edit: (c: Record<string, unknown>) => void): Promise<string> {
    const src = join(dir, 'prompt-tuning-peft');
    const out = join(dir, name);
    await cp(src, out, { recursive: true });
    const path = join(out, 'adapter_config.json');
    const c = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    edit(c);
    await writeFile(path, JSON.stringify(c));
    return out;
  }
  const importError = (peft: string) => {
    const r = panda(['import', peft, '--format', 'peft', '--out', join(peft, 'run'), '--json']);
    expect(r.status).not.toBe(0);
    return (JSON.parse(r.stderr.trim().split('\n').at(-1)!) as { error: { code: string; message: string } }).error;
  };

  it('a LORA adapter is refused with CHECKPOINT_INVALID naming the peft_type', async () => {
    const err = importError(await broken('lora', (c) => (c.peft_type = 'LORA')));
    expect(err.code).toBe('CHECKPOINT_INVALID');
    expect(err.message).toContain('"LORA" is not supported');
  });

  it('a config whose shape does not match the tensors is refused', async () => {
    const err = importError(await broken('rows', (c) => (c.num_virtual_tokens = 5)));
    expect(err.code).toBe('CHECKPOINT_INVALID');
    expect(err.message).toContain('prompt_embeddings has shape [4, 32], expected [5, 32]');
  });

  it('a folder without adapter_config.json is refused', async () => {
    const err = importError(join(dir, 'nothing-here'));
    expect(err.code).toBe('CHECKPOINT_INVALID');
  });
});

describe('a run of panda 0.1 (its own config in adapter_config.json, PEFT\'s file name)', () => {
  it('still predicts the same from the CLI, and `import --format peft` says it is no PEFT adapter', async () => {
    const run = join(dir, 'prompt-tuning');
    const old = join(dir, 'old-layout');
    await cp(run, old, { recursive: true });
    await rename(join(old, 'panda_adapter.json'), join(old, 'adapter_config.json'));
    expect(probabilities(old)).toEqual(probabilities(run));
    const r = panda(['import', old, '--format', 'peft', '--out', join(dir, 'old-imported'), '--json']);
    expect(r.status).not.toBe(0);
    const err = (JSON.parse(r.stderr.trim().split('\n').at(-1)!) as { error: { code: string; message: string } }).error;
    expect(err.code).toBe('CHECKPOINT_INVALID');
    expect(err.message).toContain('no peft_type, so not a PEFT adapter config');
  });
});
