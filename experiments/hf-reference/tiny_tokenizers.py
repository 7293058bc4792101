"""Tiny tokenizers in the Hugging Face layout, written by hand, with an independent Python encoder.

The `tokenizers` / `transformers` packages are not installed here, so this file

- builds a small WordPiece vocabulary (BERT, uncased) and a small byte-level BPE (RoBERTa, GPT-2
  style: 256 byte symbols + merges learnt from a toy corpus),
- writes them as the files a Hugging Face folder has (vocab.txt; vocab.json + merges.txt; and
  tokenizer.json in the `tokenizers` JSON format, plus tokenizer_config.json and
  special_tokens_map.json), which transformers.js loads,
- and encodes text the way those tokenizers do (BertNormalizer + BertPreTokenizer + WordPiece +
  [CLS]/[SEP]; ByteLevel regex + byte map + BPE + <s>/</s>), so the TypeScript tests can check
  that transformers.js gives the same ids.

The Python encoders are written for ASCII text (the fixture sentences): the GPT-2 regex classes
\\p{L} and \\p{N} are replaced by [A-Za-z] and [0-9] (Python's `re` has no Unicode classes and the
`regex` package is not installed), and BERT's Chinese-character and accent handling are kept only
as far as ASCII needs them.
"""
import json
import os
import re
import unicodedata

# ----------------------------------------------------------------------------------------------
# BERT WordPiece (uncased)
# ----------------------------------------------------------------------------------------------

BERT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
BERT_WORDS = [
    'the', 'an', 'this', 'that', 'it', 'is', 'was', 'were', 'be', 'and', 'but', 'not', 'no',
    'you', 'we', 'they', 'movie', 'film', 'plot', 'acting', 'story', 'actor', 'great',
    'good', 'bad', 'terrible', 'fine', 'boring', 'really', 'very', 'so', 'quite', 'love', 'hate',
    'of', 'to', 'in', 'on', 'with', 'for', 'at', 'all', 'one', 'what',
]
BERT_SUFFIXES = ['##ed', '##ing', '##ly', '##er', '##est', '##ness', '##able']
BERT_PUNCT = list(".,!?'-;:\"()")


def bert_vocab():
    """Token list in id order: specials, punctuation, digits, letters, ##letters, words, ##suffixes."""
    letters = [chr(c) for c in range(ord('a'), ord('z') + 1)]
    toks = BERT_SPECIALS + BERT_PUNCT + [str(d) for d in range(10)] + letters + ['##' + c for c in letters]
    toks += BERT_WORDS + BERT_SUFFIXES
    assert len(set(toks)) == len(toks)
    return toks


def _is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith('P')


def _bert_normalize(text):
    # clean_text: drop NUL, U+FFFD and control characters; whitespace → ' '
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD:
            continue
        if ch in '\t\n\r' or unicodedata.category(ch) == 'Zs':
            out.append(' ')
        elif unicodedata.category(ch) in ('Cc', 'Cf'):
            continue
        else:
            out.append(ch)
    text = ''.join(out)
    # lowercase (with strip_accents unset, lowercase strips accents too)
    text = unicodedata.normalize('NFD', text.lower())
    return ''.join(ch for ch in text if unicodedata.category(ch) != 'Mn')


def _bert_pretokenize(text):
    words = []
    for chunk in text.split():
        cur = ''
        for ch in chunk:
            if _is_punct(ch):
                if cur:
                    words.append(cur)
                    cur = ''
                words.append(ch)
            else:
                cur += ch
        if cur:
            words.append(cur)
    return words


def _wordpiece(word, vocab, unk='[UNK]', max_chars=100):
    if len(word) > max_chars:
        return [unk]
    pieces = []
    start = 0
    while start < len(word):
        end = len(word)
        found = None
        while start < end:
            sub = word[start:end]
            if start > 0:
                sub = '##' + sub
            if sub in vocab:
                found = sub
                break
            end -= 1
        if found is None:
            return [unk]
        pieces.append(found)
        start = end
    return pieces


def _split_specials(text, specials, lstrip=()):
    """Splits raw text on special tokens (matched before normalisation). Tokens in `lstrip` absorb
    the whitespace on their left. Returns a list of (is_special, segment)."""
    pattern = '(' + '|'.join(re.escape(s) for s in specials) + ')'
    parts = re.split(pattern, text)
    out = []
    for i, p in enumerate(parts):
        if p in specials:
            out.append((True, p))
        elif p:
            if i + 1 < len(parts) and parts[i + 1] in lstrip:
                p = p.rstrip()
            if p:
                out.append((False, p))
    return out


def bert_encode(text, vocab_list):
    vocab = {t: i for i, t in enumerate(vocab_list)}
    ids = [vocab['[CLS]']]
    for special, seg in _split_specials(text, ['[MASK]', '[CLS]', '[SEP]', '[PAD]', '[UNK]']):
        if special:
            ids.append(vocab[seg])
            continue
        for w in _bert_pretokenize(_bert_normalize(seg)):
            ids += [vocab[p] for p in _wordpiece(w, vocab)]
    ids.append(vocab['[SEP]'])
    return ids


def _added(content, i, lstrip=False):
    return {'id': i, 'content': content, 'single_word': False, 'lstrip': lstrip, 'rstrip': False, 'normalized': False, 'special': True}


def write_bert_tokenizer(folder, vocab_list, max_length):
    vocab = {t: i for i, t in enumerate(vocab_list)}
    with open(os.path.join(folder, 'vocab.txt'), 'w') as f:
        f.write('\n'.join(vocab_list) + '\n')
    cls, sep = vocab['[CLS]'], vocab['[SEP]']
    tok = {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': [_added(t, vocab[t]) for t in BERT_SPECIALS],
        'normalizer': {'type': 'BertNormalizer', 'clean_text': True, 'handle_chinese_chars': True, 'strip_accents': None, 'lowercase': True},
        'pre_tokenizer': {'type': 'BertPreTokenizer'},
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': [{'SpecialToken': {'id': '[CLS]', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': '[SEP]', 'type_id': 0}}],
            'pair': [
                {'SpecialToken': {'id': '[CLS]', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': '[SEP]', 'type_id': 0}},
                {'Sequence': {'id': 'B', 'type_id': 1}}, {'SpecialToken': {'id': '[SEP]', 'type_id': 1}},
            ],
            'special_tokens': {
                '[CLS]': {'id': '[CLS]', 'ids': [cls], 'tokens': ['[CLS]']},
                '[SEP]': {'id': '[SEP]', 'ids': [sep], 'tokens': ['[SEP]']},
            },
        },
        'decoder': {'type': 'WordPiece', 'prefix': '##', 'cleanup': True},
        'model': {'type': 'WordPiece', 'unk_token': '[UNK]', 'continuing_subword_prefix': '##', 'max_input_chars_per_word': 100, 'vocab': vocab},
    }
    _dump(os.path.join(folder, 'tokenizer.json'), tok)
    _dump(os.path.join(folder, 'tokenizer_config.json'), {
        'tokenizer_class': 'BertTokenizer', 'do_lower_case': True, 'model_max_length': max_length,
        'cls_token': '[CLS]', 'sep_token': '[SEP]', 'pad_token': '[PAD]', 'mask_token': '[MASK]', 'unk_token': '[UNK]',
        'clean_up_tokenization_spaces': True,
    })
    _dump(os.path.join(folder, 'special_tokens_map.json'), {
        'cls_token': '[CLS]', 'sep_token': '[SEP]', 'pad_token': '[PAD]', 'mask_token': '[MASK]', 'unk_token': '[UNK]',
    })


# ----------------------------------------------------------------------------------------------
# RoBERTa byte-level BPE
# ----------------------------------------------------------------------------------------------

ROBERTA_SPECIALS = ['<s>', '<pad>', '</s>', '<unk>']  # ids 0..3; <mask> is the last id
# GPT-2's pre-tokenisation regex with \p{L} → [A-Za-z] and \p{N} → [0-9] (ASCII only, see above).
_GPT2_PAT = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")


def bytes_to_unicode():
    """GPT-2's reversible map from bytes to printable unicode characters."""
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


_B2U = bytes_to_unicode()


def _byte_words(text):
    return [''.join(_B2U[b] for b in w.encode('utf-8')) for w in _GPT2_PAT.findall(text)]


def train_bpe(corpus, num_merges):
    """Plain BPE training on the byte-mapped words of `corpus`: merge the most frequent adjacent
    pair (ties: the lexicographically smallest pair), `num_merges` times."""
    freq = {}
    for line in corpus:
        for w in _byte_words(line):
            freq[w] = freq.get(w, 0) + 1
    words = {w: list(w) for w in freq}
    merges = []
    for _ in range(num_merges):
        pairs = {}
        for w, syms in words.items():
            for a, b in zip(syms, syms[1:]):
                pairs[(a, b)] = pairs.get((a, b), 0) + freq[w]
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        for w, syms in words.items():
            out = []
            i = 0
            while i < len(syms):
                if i + 1 < len(syms) and (syms[i], syms[i + 1]) == best:
                    out.append(syms[i] + syms[i + 1])
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            words[w] = out
    return merges


def roberta_vocab(merges):
    """Token list in id order: <s> <pad> </s> <unk>, the 256 byte symbols (in byte order), merge
    results (in merge order, first occurrence), <mask>."""
    toks = ROBERTA_SPECIALS + [_B2U[b] for b in range(256)]
    seen = set(toks)
    for a, b in merges:
        if a + b not in seen:
            toks.append(a + b)
            seen.add(a + b)
    return toks + ['<mask>']


def _bpe(word, ranks):
    syms = list(word)
    while len(syms) > 1:
        pairs = [(ranks.get((a, b), float('inf')), i) for i, (a, b) in enumerate(zip(syms, syms[1:]))]
        rank, i = min(pairs)
        if rank == float('inf'):
            break
        pair = (syms[i], syms[i + 1])
        out = []
        j = 0
        while j < len(syms):
            if j + 1 < len(syms) and (syms[j], syms[j + 1]) == pair:
                out.append(syms[j] + syms[j + 1])
                j += 2
            else:
                out.append(syms[j])
                j += 1
        syms = out
    return syms


def roberta_encode(text, vocab_list, merges):
    vocab = {t: i for i, t in enumerate(vocab_list)}
    ranks = {m: i for i, m in enumerate(merges)}
    ids = [vocab['<s>']]
    for special, seg in _split_specials(text, ['<mask>', '<s>', '</s>', '<pad>', '<unk>'], lstrip=('<mask>',)):
        if special:
            ids.append(vocab[seg])
            continue
        for w in _byte_words(seg):
            ids += [vocab[p] for p in _bpe(w, ranks)]
    ids.append(vocab['</s>'])
    return ids


def write_roberta_tokenizer(folder, vocab_list, merges, max_length):
    vocab = {t: i for i, t in enumerate(vocab_list)}
    _dump(os.path.join(folder, 'vocab.json'), vocab)
    with open(os.path.join(folder, 'merges.txt'), 'w') as f:
        f.write('#version: 0.2\n' + ''.join(f'{a} {b}\n' for a, b in merges))
    tok = {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': [_added(t, vocab[t]) for t in ROBERTA_SPECIALS] + [_added('<mask>', vocab['<mask>'], lstrip=True)],
        'normalizer': None,
        'pre_tokenizer': {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True, 'use_regex': True},
        'post_processor': {'type': 'RobertaProcessing', 'sep': ['</s>', vocab['</s>']], 'cls': ['<s>', vocab['<s>']], 'trim_offsets': True, 'add_prefix_space': False},
        'decoder': {'type': 'ByteLevel', 'add_prefix_space': True, 'trim_offsets': True, 'use_regex': True},
        'model': {
            'type': 'BPE', 'dropout': None, 'unk_token': None, 'continuing_subword_prefix': '', 'end_of_word_suffix': '',
            'fuse_unk': False, 'byte_fallback': False, 'ignore_merges': False, 'vocab': vocab, 'merges': [f'{a} {b}' for a, b in merges],
        },
    }
    _dump(os.path.join(folder, 'tokenizer.json'), tok)
    _dump(os.path.join(folder, 'tokenizer_config.json'), {
        'tokenizer_class': 'RobertaTokenizer', 'model_max_length': max_length, 'add_prefix_space': False, 'errors': 'replace',
        'bos_token': '<s>', 'eos_token': '</s>', 'cls_token': '<s>', 'sep_token': '</s>', 'pad_token': '<pad>', 'unk_token': '<unk>', 'mask_token': '<mask>',
        'clean_up_tokenization_spaces': False,
    })
    _dump(os.path.join(folder, 'special_tokens_map.json'), {
        'bos_token': '<s>', 'eos_token': '</s>', 'cls_token': '<s>', 'sep_token': '</s>', 'pad_token': '<pad>', 'unk_token': '<unk>',
        'mask_token': {'content': '<mask>', 'lstrip': True, 'normalized': False, 'rstrip': False, 'single_word': False},
    })


def _dump(path, obj):
    with open(path, 'w') as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write('\n')
