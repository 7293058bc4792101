"""Hugging Face BERT and RoBERTa forward passes in plain torch, written from the math of
`transformers` (modeling_bert.py / modeling_roberta.py, eager attention, eval mode), on a dict of
tensors under Hugging Face's parameter names. `transformers` is not installed here; this is the
independent reference the TypeScript port is checked against.

What it reproduces, on purpose:
- embeddings: word + token_type (+ position, 'absolute'), LayerNorm(eps = layer_norm_eps);
  BERT position ids start at past_key_values_length; RoBERTa's come from the input ids,
  `(cumsum(ids != pad) + past_key_values_length) * (ids != pad) + padding_idx` (pads get
  padding_idx), or, when the input is embeddings (a soft prompt), `padding_idx + 1 + arange(L)`
  for every position, ignoring past_key_values_length (create_position_ids_from_inputs_embeds);
- self-attention: q·kᵀ / √d_h + (1 − mask)·finfo.min, softmax, ·v; with `past_key_values` (a
  P-tuning v2 prefix) the keys/values are [prefix ; sequence] and the mask gets the prefix's
  columns in front; queries come from the sequence only;
- post-norm residual blocks, GELU (erf form for 'gelu'), pooler tanh(dense(h[:, 0]));
- MLM heads: BERT cls.predictions (dense → act → LayerNorm → decoder tied to the word embeddings
  + cls.predictions.bias); RoBERTa lm_head (dense → erf GELU → layer_norm → decoder + lm_head.bias).
- the P-tuning v2 prefix table E [m, 2·L·d] → past_key_values exactly as `get_prompt` does it.
"""
import math

import torch


def gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


ACT = {'gelu': gelu, 'gelu_new': gelu_tanh, 'gelu_pytorch_tanh': gelu_tanh, 'relu': torch.relu}


def linear(x, w, b):
    """torch.nn.Linear: weight [out, in]."""
    return torch.matmul(x, w.t()) + b


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (int(x.shape[-1]),), w, b, eps)


def base_prefix(arch):
    return 'bert.' if arch == 'bert' else 'roberta.'


def prefix_to_past(table, batch, num_layers, num_heads):
    """P-tuning v2 `get_prompt` (eval mode, no dropout): table [m, 2·L·d] (or [B, m, 2·L·d]) →
    L tuples (key, value), each [B, n_h, m, d_h]; layer l's key is slot 2l, its value 2l+1."""
    if table.dim() == 2:
        table = table.unsqueeze(0).expand(batch, -1, -1)
    b, m, width = table.shape
    d = width // (2 * num_layers)
    pkv = table.reshape(b, m, 2 * num_layers, num_heads, d // num_heads)
    pkv = pkv.permute(2, 0, 3, 1, 4)  # [2L, B, n_h, m, d_h]
    return [(pkv[2 * l], pkv[2 * l + 1]) for l in range(num_layers)]


def position_ids(arch, ids, pad_id, past, seq_len, from_embeddings):
    b = ids.shape[0]
    if arch == 'bert':
        return torch.arange(past, past + seq_len, dtype=torch.long, device=ids.device).unsqueeze(0).expand(b, seq_len)
    if from_embeddings:
        return torch.arange(pad_id + 1, pad_id + 1 + seq_len, dtype=torch.long, device=ids.device).unsqueeze(0).expand(b, seq_len)
    m = ids.ne(pad_id).long()
    return (torch.cumsum(m, dim=1) + past) * m + pad_id


def forward(w, cfg, ids, mask, prefix=None, prefix_mask=None, prefix_positions=False, prompt=None, token_type_ids=None, dtype=torch.float64):
    """Runs the encoder, pooler and MLM head.

    ids int64 [B, T]; mask [B, T] (1 real, 0 pad); prefix [m, 2·L·d] or [B, m, 2·L·d];
    prefix_mask [B, m] (default ones); prefix_positions: HF's position offset by m
    (past_key_values_length = m) when True, token positions from 0 when False; prompt [p, H]
    (a soft prompt prepended to the word embeddings, PEFT style: `inputs_embeds`).
    Returns dict(hidden_states [L+1] × [B, S, H], pooled [B, H] or None, logits [B, S, V] or None),
    S = p + T.
    """
    arch = cfg['model_type']
    p = base_prefix(arch)
    g = lambda name: w[p + name].to(dtype)  # noqa: E731
    num_layers = cfg['num_hidden_layers']
    num_heads = cfg['num_attention_heads']
    hidden = cfg['hidden_size']
    dh = hidden // num_heads
    eps = cfg['layer_norm_eps']
    act = ACT[cfg['hidden_act']]
    pad = cfg['pad_token_id']
    b, t = ids.shape
    mask = mask.to(dtype)

    x = g('embeddings.word_embeddings.weight')[ids]  # [B, T, H]
    if prompt is not None:
        x = torch.cat([prompt.to(dtype).unsqueeze(0).expand(b, -1, -1), x], dim=1)  # [B, S, H]
        mask = torch.cat([torch.ones(b, prompt.shape[0], dtype=dtype), mask], dim=1)
    s = x.shape[1]
    past = 0
    if prefix is not None and prefix_positions:
        past = prefix.shape[-2]
    pos = position_ids(arch, ids, pad, past, s, prompt is not None)
    tt = token_type_ids if token_type_ids is not None else torch.zeros(b, s, dtype=torch.long)
    x = x + g('embeddings.token_type_embeddings.weight')[tt]
    x = x + g('embeddings.position_embeddings.weight')[pos]
    x = layer_norm(x, g('embeddings.LayerNorm.weight'), g('embeddings.LayerNorm.bias'), eps)

    past_kv = None
    full_mask = mask
    if prefix is not None:
        past_kv = prefix_to_past(prefix.to(dtype), b, num_layers, num_heads)
        pm = prefix_mask.to(dtype) if prefix_mask is not None else torch.ones(b, prefix.shape[-2], dtype=dtype)
        full_mask = torch.cat([pm, mask], dim=1)
    bias = (1.0 - full_mask)[:, None, None, :] * torch.finfo(dtype).min  # [B, 1, 1, m + S]

    def heads(y):
        return y.view(b, s, num_heads, dh).permute(0, 2, 1, 3)  # [B, n_h, S, d_h]

    hidden_states = [x]
    for l in range(num_layers):
        n = f'encoder.layer.{l}.'
        q = heads(linear(x, g(n + 'attention.self.query.weight'), g(n + 'attention.self.query.bias')))
        k = heads(linear(x, g(n + 'attention.self.key.weight'), g(n + 'attention.self.key.bias')))
        v = heads(linear(x, g(n + 'attention.self.value.weight'), g(n + 'attention.self.value.bias')))
        if past_kv is not None:
            k = torch.cat([past_kv[l][0], k], dim=2)
            v = torch.cat([past_kv[l][1], v], dim=2)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(dh) + bias
        probs = torch.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(b, s, hidden)
        a = layer_norm(linear(ctx, g(n + 'attention.output.dense.weight'), g(n + 'attention.output.dense.bias')) + x,
                       g(n + 'attention.output.LayerNorm.weight'), g(n + 'attention.output.LayerNorm.bias'), eps)
        i = act(linear(a, g(n + 'intermediate.dense.weight'), g(n + 'intermediate.dense.bias')))
        x = layer_norm(linear(i, g(n + 'output.dense.weight'), g(n + 'output.dense.bias')) + a,
                       g(n + 'output.LayerNorm.weight'), g(n + 'output.LayerNorm.bias'), eps)
        hidden_states.append(x)

    pooled = None
    if p + 'pooler.dense.weight' in w:
        pooled = torch.tanh(linear(x[:, 0], g('pooler.dense.weight'), g('pooler.dense.bias')))
    return {'hidden_states': hidden_states, 'pooled': pooled, 'logits': mlm_logits(w, cfg, x, dtype)}


def mlm_logits(w, cfg, x, dtype=torch.float64):
    """The masked-LM head on the last hidden states [B, S, H] → [B, S, V]."""
    arch = cfg['model_type']
    f = lambda name: w[name].to(dtype)  # noqa: E731
    word = f(base_prefix(arch) + 'embeddings.word_embeddings.weight')  # tied decoder
    eps = cfg['layer_norm_eps']
    if arch == 'bert':
        h = linear(x, f('cls.predictions.transform.dense.weight'), f('cls.predictions.transform.dense.bias'))
        h = ACT[cfg['hidden_act']](h)
        h = layer_norm(h, f('cls.predictions.transform.LayerNorm.weight'), f('cls.predictions.transform.LayerNorm.bias'), eps)
        return torch.matmul(h, word.t()) + f('cls.predictions.bias')
    h = gelu(linear(x, f('lm_head.dense.weight'), f('lm_head.dense.bias')))
    h = layer_norm(h, f('lm_head.layer_norm.weight'), f('lm_head.layer_norm.bias'), eps)
    return torch.matmul(h, word.t()) + f('lm_head.bias')


class MaskedLM(torch.nn.Module):
    """The same forward as a module with float32 parameters (for torch.onnx.export): inputs
    input_ids, attention_mask (and token_type_ids for BERT), output logits [B, T, V]."""

    def __init__(self, w, cfg):
        super().__init__()
        self.cfg = cfg
        self.names = sorted(w)
        for i, name in enumerate(self.names):
            self.register_parameter(f'p{i}', torch.nn.Parameter(w[name].to(torch.float32).clone(), requires_grad=False))

    def weights(self):
        return {name: getattr(self, f'p{i}') for i, name in enumerate(self.names)}

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        out = forward(self.weights(), self.cfg, input_ids, attention_mask, token_type_ids=token_type_ids, dtype=torch.float32)
        return out['logits']
