"""Creates the tiny Hugging Face checkpoints and reference outputs under packages/hf/fixtures/.

Run with Debian's torch:  /usr/bin/python3 experiments/hf-reference/make_fixtures.py
(from the repository root; see README.md in this folder). Deterministic: torch.manual_seed per model.

Per architecture (tiny-bert, tiny-roberta) it writes a Hugging Face folder:
  config.json, model.safetensors (F32, HF parameter names, decoder weight tied = left out as
  save_pretrained does), tokenizer files (tokenizer.json, tokenizer_config.json,
  special_tokens_map.json, and vocab.txt or vocab.json + merges.txt), onnx/model.onnx (the MLM
  model exported with torch.onnx.export, opset 14, dynamic batch and sequence axes)
and next to it
  reference/<arch>.safetensors  the reference inputs and outputs (float64 math, stored as F32)
  reference/<arch>.json         tokenizer ids of the fixture sentences, the cloze cases and scores
"""
import json
import math
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_math  # noqa: E402
import safetensors_io  # noqa: E402
import tiny_tokenizers as tt  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'packages', 'hf', 'fixtures')

HIDDEN, LAYERS, HEADS, INTER, MAX_POS = 32, 2, 4, 64, 64
PREFIX_ROWS, PROMPT_ROWS = 3, 2

SENTENCES = [
    'The movie was great!',
    'I loved this film, really.',
    'Boring plots.',
    'What a story: one actor, all the actors.',
    'Unbelievably TERRIBLE acting (really)...',
]
# The batch the encoder outputs are computed on (padded to the longest).
BATCH = SENTENCES[:3]
CLOZE = {
    'bert': {
        'texts': ['The movie was [MASK].', 'I hate this film, it is [MASK]!', 'A [MASK] story with great acting.'],
        'labels': ['great', 'terrible', 'lovely'],
    },
    'roberta': {
        'texts': ['The movie was <mask>.', 'I hate this film, it is <mask>!', 'A <mask> story with great acting.'],
        'labels': ['great', 'terrible', 'lovely'],
    },
}
BPE_CORPUS = SENTENCES + [
    'the movie was great and the film was good', 'the acting was terrible', 'a boring story', 'the actors were fine',
    'i love this movie', 'i hate this film', 'it is really great', 'the plot is not good', 'what a great movie',
    'the story of the actor', 'great great great good good movie movie film film the the the',
]
BPE_MERGES = 56


def tensor(shape, std, gen):
    return torch.randn(*shape, generator=gen, dtype=torch.float64).to(torch.float32) * std


def make_weights(arch, vocab_size, max_pos, type_vocab, gen):
    """Random weights under HF names. Scales are larger than BERT's 0.02 initialiser so that
    attention, GELU and the prefix all change the outputs visibly."""
    p = hf_math.base_prefix(arch)
    w = {}

    def lin(name, out_dim, in_dim, std=0.15):
        w[name + '.weight'] = tensor((out_dim, in_dim), std, gen)
        w[name + '.bias'] = tensor((out_dim,), 0.05, gen)

    def ln(name):
        w[name + '.weight'] = 1.0 + tensor((HIDDEN,), 0.1, gen)
        w[name + '.bias'] = tensor((HIDDEN,), 0.05, gen)

    w[p + 'embeddings.word_embeddings.weight'] = tensor((vocab_size, HIDDEN), 0.5, gen)
    w[p + 'embeddings.position_embeddings.weight'] = tensor((max_pos, HIDDEN), 0.5, gen)
    w[p + 'embeddings.token_type_embeddings.weight'] = tensor((type_vocab, HIDDEN), 0.5, gen)
    ln(p + 'embeddings.LayerNorm')
    for l in range(LAYERS):
        n = f'{p}encoder.layer.{l}.'
        for q in ('query', 'key', 'value'):
            lin(n + 'attention.self.' + q, HIDDEN, HIDDEN)
        lin(n + 'attention.output.dense', HIDDEN, HIDDEN)
        ln(n + 'attention.output.LayerNorm')
        lin(n + 'intermediate.dense', INTER, HIDDEN)
        lin(n + 'output.dense', HIDDEN, INTER)
        ln(n + 'output.LayerNorm')
    lin(p + 'pooler.dense', HIDDEN, HIDDEN)
    if arch == 'bert':
        lin('cls.predictions.transform.dense', HIDDEN, HIDDEN)
        ln('cls.predictions.transform.LayerNorm')
        w['cls.predictions.bias'] = tensor((vocab_size,), 0.1, gen)
    else:
        lin('lm_head.dense', HIDDEN, HIDDEN)
        ln('lm_head.layer_norm')
        w['lm_head.bias'] = tensor((vocab_size,), 0.1, gen)
    return w


def config_for(arch, vocab_size):
    base = {
        'vocab_size': vocab_size, 'hidden_size': HIDDEN, 'num_hidden_layers': LAYERS, 'num_attention_heads': HEADS,
        'intermediate_size': INTER, 'hidden_act': 'gelu', 'hidden_dropout_prob': 0.1, 'attention_probs_dropout_prob': 0.1,
        'initializer_range': 0.02, 'position_embedding_type': 'absolute', 'use_cache': True, 'torch_dtype': 'float32',
        'transformers_version': '4.46.0',
    }
    if arch == 'bert':
        return {'architectures': ['BertForMaskedLM'], 'model_type': 'bert', **base, 'max_position_embeddings': MAX_POS,
                'type_vocab_size': 2, 'layer_norm_eps': 1e-12, 'pad_token_id': 0}
    return {'architectures': ['RobertaForMaskedLM'], 'model_type': 'roberta', **base, 'max_position_embeddings': MAX_POS + 2,
            'type_vocab_size': 1, 'layer_norm_eps': 1e-5, 'pad_token_id': 1, 'bos_token_id': 0, 'eos_token_id': 2}


def pad_batch(rows, pad_id):
    t = max(len(r) for r in rows)
    ids = torch.full((len(rows), t), pad_id, dtype=torch.long)
    mask = torch.zeros(len(rows), t, dtype=torch.float64)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r)
        mask[i, :len(r)] = 1
    return ids, mask


def f32(x):
    return x.detach().to(torch.float32).numpy()


def export_onnx(w, cfg, folder, ids, mask):
    os.makedirs(os.path.join(folder, 'onnx'), exist_ok=True)
    path = os.path.join(folder, 'onnx', 'model.onnx')
    model = hf_math.MaskedLM(w, cfg).eval()
    mask_i = mask.to(torch.long)
    bert = cfg['model_type'] == 'bert'
    args = (ids, mask_i, torch.zeros_like(ids)) if bert else (ids, mask_i)
    names = ['input_ids', 'attention_mask'] + (['token_type_ids'] if bert else [])
    axes = {n: {0: 'batch_size', 1: 'sequence_length'} for n in names}
    axes['logits'] = {0: 'batch_size', 1: 'sequence_length'}
    with torch.no_grad():
        torch.onnx.export(model, args, path, input_names=names, output_names=['logits'], dynamic_axes=axes,
                          opset_version=14, do_constant_folding=True)
    return model


def build(arch):
    folder = os.path.join(OUT, f'tiny-{arch}')
    os.makedirs(folder, exist_ok=True)
    gen = torch.Generator().manual_seed(1 if arch == 'bert' else 2)
    if arch == 'bert':
        vocab = tt.bert_vocab()
        encode = lambda s: tt.bert_encode(s, vocab)  # noqa: E731
        tt.write_bert_tokenizer(folder, vocab, MAX_POS)
        mask_token = '[MASK]'
    else:
        merges = tt.train_bpe(BPE_CORPUS, BPE_MERGES)
        vocab = tt.roberta_vocab(merges)
        encode = lambda s: tt.roberta_encode(s, vocab, merges)  # noqa: E731
        tt.write_roberta_tokenizer(folder, vocab, merges, MAX_POS)
        mask_token = '<mask>'
    cfg = config_for(arch, len(vocab))
    with open(os.path.join(folder, 'config.json'), 'w') as f:
        json.dump(cfg, f, indent=2)
        f.write('\n')
    w = make_weights(arch, len(vocab), cfg['max_position_embeddings'], cfg['type_vocab_size'], gen)
    safetensors_io.save_file({k: v.numpy() for k, v in w.items()}, os.path.join(folder, 'model.safetensors'), {'format': 'pt'})
    w = {k: torch.from_numpy(v) for k, v in safetensors_io.load_file(os.path.join(folder, 'model.safetensors')).items()}

    pad = cfg['pad_token_id']
    ids, mask = pad_batch([encode(s) for s in BATCH], pad)
    width = 2 * LAYERS * HIDDEN
    prefix = tensor((PREFIX_ROWS, width), 1.0, gen)
    prompt = tensor((PROMPT_ROWS, HIDDEN), 0.5, gen)
    ref = {'input/ids': ids.to(torch.int32).numpy(), 'input/mask': f32(mask), 'input/prefix': prefix.numpy(), 'input/prompt': prompt.numpy()}
    cases = {
        'plain': {},
        'prefix': {'prefix': prefix.to(torch.float64), 'prefix_positions': False},
        'prefix_offset': {'prefix': prefix.to(torch.float64), 'prefix_positions': True},
        'prompt': {'prompt': prompt.to(torch.float64)},
    }
    summary = {}
    for name, kw in cases.items():
        out = hf_math.forward(w, cfg, ids, mask, **kw)
        ref[f'{name}/hidden_states'] = f32(torch.stack(out['hidden_states']))  # [L+1, B, S, H]
        ref[f'{name}/pooled'] = f32(out['pooled'])  # [B, H]
        ref[f'{name}/mlm_logits'] = f32(out['logits'])  # [B, S, V]
        summary[name] = float(out['hidden_states'][-1].abs().max())

    # Cloze scoring: log-softmax of the MLM logits at the mask position, label words encoded as they
    # appear after a space (the BERT tokenizer drops the space; RoBERTa's gives 'Ġword' pieces).
    cz = CLOZE[arch]
    rows = [encode(s) for s in cz['texts']]
    mask_id = vocab.index(mask_token)
    positions = [r.index(mask_id) for r in rows]
    label_ids = [encode(' ' + word)[1:-1] for word in cz['labels']]
    c_ids, c_mask = pad_batch(rows, pad)
    logits = hf_math.forward(w, cfg, c_ids, c_mask)['logits']  # [B, T, V] float64
    at_mask = torch.stack([logits[i, p] for i, p in enumerate(positions)])  # [B, V]
    logp = torch.log_softmax(at_mask, dim=-1)
    first = [[float(logp[i, l[0]]) for l in label_ids] for i in range(len(rows))]
    mean = [[float(logp[i, l].mean()) for l in label_ids] for i in range(len(rows))]
    ref['cloze/ids'] = c_ids.to(torch.int32).numpy()
    ref['cloze/mask'] = f32(c_mask)
    ref['cloze/logits_at_mask'] = f32(at_mask)

    model = export_onnx(w, cfg, folder, c_ids, c_mask)
    with torch.no_grad():
        tt_ids = torch.zeros_like(c_ids) if arch == 'bert' else None
        f32_logits = model(c_ids, c_mask.to(torch.long), tt_ids) if tt_ids is not None else model(c_ids, c_mask.to(torch.long))
    onnx_vs_f64 = float((f32_logits.to(torch.float64) - logits).abs().max())

    safetensors_io.save_file(ref, os.path.join(OUT, 'reference', f'{arch}.safetensors'),
                             {'generator': 'experiments/hf-reference/make_fixtures.py', 'torch': torch.__version__})
    meta = {
        'generator': 'experiments/hf-reference/make_fixtures.py',
        'torch': torch.__version__,
        'math': 'float64 (stored as float32)',
        'sentences': SENTENCES,
        'ids': [encode(s) for s in SENTENCES],
        'batch': {'texts': BATCH, 'padId': pad},
        'prefixRows': PREFIX_ROWS,
        'promptRows': PROMPT_ROWS,
        'cases': {
            'plain': 'no prompt, no prefix',
            'prefix': 'prefix table, token positions from 0 (no offset)',
            'prefix_offset': "prefix table, Hugging Face's past_key_values_length offset (tokens take positions m..m+T-1)",
            'prompt': 'soft prompt prepended to the word embeddings (inputs_embeds, PEFT style)',
        },
        'cloze': {
            'texts': cz['texts'], 'labels': cz['labels'], 'labelIds': label_ids, 'maskPositions': positions,
            'logProbFirst': first, 'logProbMean': mean,
            'predictionFirst': [int(np.argmax(r)) for r in first], 'predictionMean': [int(np.argmax(r)) for r in mean],
        },
        'torchFloat32VsFloat64MaxAbs': onnx_vs_f64,
    }
    with open(os.path.join(OUT, 'reference', f'{arch}.json'), 'w') as f:
        json.dump(meta, f, indent=1)
        f.write('\n')
    print(f'{arch}: vocab {len(vocab)}, batch ids {ids.tolist()}, |h_L|max {summary}, label ids {label_ids}, '
          f'float32 module vs float64 {onnx_vs_f64:.2e}')


def main():
    os.makedirs(os.path.join(OUT, 'reference'), exist_ok=True)
    torch.set_grad_enabled(False)
    for arch in ('bert', 'roberta'):
        build(arch)


if __name__ == '__main__':
    main()
