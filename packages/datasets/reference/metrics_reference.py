#!/usr/bin/python3
"""Reference values for @panda/datasets metrics, computed with scikit-learn and SciPy.

Run with Debian's Python (apt-get install python3-sklearn python3-scipy python3-numpy):

    /usr/bin/python3 packages/datasets/reference/metrics_reference.py > packages/datasets/reference/metrics-reference.json

The vitest test `src/metrics/reference.test.ts` reads the JSON, so tests need no Python. Every
metric gets >= 20 random cases plus hand-made degenerate ones (constant predictions or gold,
a single item, ties, no positive class). NaN is written as null. Deterministic (seed 20240605).
"""
import json
import platform
import sys

import numpy as np
import scipy
import scipy.stats
import sklearn
from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef
import warnings

warnings.simplefilter("ignore")  # sklearn/scipy warn on the degenerate cases; the values are what we want
rng = np.random.default_rng(20240605)
N_RANDOM = 25


def num(x):
    x = float(x)
    return None if np.isnan(x) else x


def labels_case(n, k, p_correct=None):
    gold = rng.integers(0, k, size=n)
    if p_correct is None:
        pred = rng.integers(0, k, size=n)
    else:
        keep = rng.random(n) < p_correct
        pred = np.where(keep, gold, rng.integers(0, k, size=n))
    return pred.tolist(), gold.tolist()


def random_class_cases(k_choices):
    out = []
    for _ in range(N_RANDOM):
        n = int(rng.integers(1, 120))
        k = int(rng.choice(k_choices))
        p = None if rng.random() < 0.4 else float(rng.random())
        out.append(labels_case(n, k, p))
    return out


def degenerate_binary():
    return [
        ([1, 1, 1, 1], [0, 1, 0, 1]),  # constant prediction
        ([0, 0, 0, 0], [0, 1, 0, 1]),  # constant prediction, never positive
        ([0, 1, 0, 1], [1, 1, 1, 1]),  # constant gold
        ([0, 0, 0], [0, 0, 0]),  # no positive anywhere
        ([1, 1], [1, 1]),  # all positive, all right
        ([1], [0]),  # single item, wrong
        ([1], [1]),  # single item, right
        ([0, 1, 1, 0], [1, 0, 0, 1]),  # all wrong
        ([0, 1, 1, 0], [0, 1, 1, 0]),  # all right
    ]


def degenerate_multiclass():
    return [
        ([2, 2, 2, 2, 2], [0, 1, 2, 1, 0]),  # constant prediction
        ([0, 1, 2, 1, 0], [1, 1, 1, 1, 1]),  # constant gold
        ([0, 1, 2], [0, 1, 2]),  # perfect
        ([1, 2, 0], [0, 1, 2]),  # all wrong
        ([3], [3]),  # one item
        ([0, 0, 4, 4], [4, 4, 0, 0]),  # labels with gaps
    ]


cases = {}
binary = random_class_cases([2]) + degenerate_binary()
multi = random_class_cases([2, 3, 5]) + degenerate_binary() + degenerate_multiclass()

cases["accuracy"] = [dict(pred=p, gold=g, expected=num(accuracy_score(g, p))) for p, g in multi]
cases["f1"] = [dict(pred=p, gold=g, expected=num(f1_score(g, p, average="binary", pos_label=1, zero_division=0))) for p, g in binary]
cases["f1_macro"] = [dict(pred=p, gold=g, expected=num(f1_score(g, p, average="macro", zero_division=0))) for p, g in multi]
# With a declared label set (a class absent from both gold and predictions still counts as F1 = 0).
for p, g in random_class_cases([3])[:8] + [([0, 0, 1], [0, 1, 1]), ([2, 2, 2], [2, 2, 2])]:
    cases["f1_macro"].append(dict(pred=p, gold=g, labels=[0, 1, 2], expected=num(f1_score(g, p, labels=[0, 1, 2], average="macro", zero_division=0))))
cases["f1_micro"] = [dict(pred=p, gold=g, expected=num(f1_score(g, p, average="micro", zero_division=0))) for p, g in multi]
cases["mcc"] = [dict(pred=p, gold=g, expected=num(matthews_corrcoef(g, p))) for p, g in multi]


def real_cases():
    out = []
    for i in range(N_RANDOM):
        n = int(rng.integers(2, 100))
        kind = i % 5
        if kind == 0:  # continuous, correlated
            g = rng.normal(size=n)
            p = g * rng.normal() + rng.normal(size=n) * rng.random()
        elif kind == 1:  # heavy ties (STS-B style scores on a 0..5 grid)
            g = rng.integers(0, 6, size=n) * 1.0
            p = np.round(np.clip(g + rng.normal(size=n), 0, 5) * 5) / 5
        elif kind == 2:  # ties in one side only
            g = rng.normal(size=n)
            p = rng.integers(0, 3, size=n) * 1.0
        elif kind == 3:  # independent
            g = rng.random(n) * 5
            p = rng.random(n) * 5
        else:  # large offsets (numerical care)
            g = 1e6 + rng.normal(size=n)
            p = 1e6 + g * 0.5 + rng.normal(size=n)
        out.append((np.round(p, 6).tolist(), np.round(g, 6).tolist()))
    out += [
        ([1.0, 1.0, 1.0], [0.0, 1.0, 2.0]),  # constant prediction -> NaN
        ([0.0, 1.0, 2.0], [3.0, 3.0, 3.0]),  # constant gold -> NaN
        ([1.0, 2.0], [2.0, 1.0]),  # two points
        ([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]),  # perfect
        ([4.0, 3.0, 2.0, 1.0], [1.0, 2.0, 3.0, 4.0]),  # perfect negative
        ([1.0, 1.0, 2.0, 2.0, 3.0], [1.0, 2.0, 2.0, 3.0, 3.0]),  # ties both sides
        ([0.5, 0.5, 0.5, 0.6], [1.0, 2.0, 3.0, 4.0]),  # nearly constant
    ]
    return out


reals = real_cases()
cases["pearson"] = [dict(pred=p, gold=g, expected=num(scipy.stats.pearsonr(g, p)[0])) for p, g in reals]
cases["spearman"] = [dict(pred=p, gold=g, expected=num(scipy.stats.spearmanr(g, p)[0])) for p, g in reals]
cases["pearson_and_spearman"] = [
    dict(pred=p, gold=g, expected=num((scipy.stats.pearsonr(g, p)[0] + scipy.stats.spearmanr(g, p)[0]) / 2)) for p, g in reals
]
cases["acc_and_f1"] = [
    dict(pred=p, gold=g, expected=num((accuracy_score(g, p) + f1_score(g, p, zero_division=0)) / 2)) for p, g in binary
]
cb_like = random_class_cases([3]) + degenerate_multiclass()[:4]
cases["acc_and_f1_macro"] = [
    dict(pred=p, gold=g, expected=num((accuracy_score(g, p) + f1_score(g, p, average="macro", zero_division=0)) / 2)) for p, g in cb_like
]


def multirc_case(n_questions, p_correct):
    groups, gold, pred = [], [], []
    for q in range(n_questions):
        n_answers = int(rng.integers(1, 8))
        for _ in range(n_answers):
            y = int(rng.integers(0, 2))
            groups.append(f"p{q // 3}/q{q}")
            gold.append(y)
            pred.append(y if rng.random() < p_correct else 1 - y)
    return pred, gold, groups


def exact_match(pred, gold, groups):
    # Independent of the TypeScript code: per question, all answers right; mean over questions.
    pred, gold, groups = np.array(pred), np.array(gold), np.array(groups)
    names = np.unique(groups)
    return float(np.mean([np.all(pred[groups == q] == gold[groups == q]) for q in names]))


mrc = [multirc_case(int(rng.integers(1, 40)), float(rng.random())) for _ in range(N_RANDOM)]
mrc += [
    ([0, 0, 0], [0, 0, 0], ["a", "a", "b"]),  # no positive answers anywhere: F1a = 0 (sklearn zero_division=0)
    ([1, 1, 0], [1, 1, 0], ["a", "a", "b"]),  # perfect
    ([1, 0, 0], [0, 1, 1], ["a", "b", "b"]),  # all wrong
    ([1], [1], ["only"]),  # one answer
]
cases["f1a"] = [dict(pred=p, gold=g, groups=q, expected=num(f1_score(g, p, zero_division=0))) for p, g, q in mrc]
cases["exact_match"] = [dict(pred=p, gold=g, groups=q, expected=exact_match(p, g, q)) for p, g, q in mrc]
cases["f1a_and_em"] = [dict(pred=p, gold=g, groups=q, expected=num((f1_score(g, p, zero_division=0) + exact_match(p, g, q)) / 2)) for p, g, q in mrc]

json.dump(
    {
        "generator": "packages/datasets/reference/metrics_reference.py",
        "versions": {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__},
        "nan": "null stands for NaN",
        "cases": cases,
    },
    sys.stdout,
    separators=(",", ":"),
)
sys.stdout.write("\n")
