#!/usr/bin/python3
"""Row counts and label distributions of the raw files in the data directory, counted
independently of the TypeScript loaders (plain Python, no shared code), to check
src/registry/datasets.data.test.ts against.

    /usr/bin/python3 packages/datasets/reference/dataset_counts.py [DATA_DIR]

DATA_DIR defaults to $PANDA_DATA_DIR, else ../shared/data beside the repository. Prints one
line per file: path, rows, label distribution (as written in the file). Files whose splits are
carved by seed (MRPC train, QNLI dev, QQP, IMDB train, MR, AG News dev) are counted whole here;
the data test checks that the carved splits add up to these totals.
"""
import collections
import gzip
import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
root = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PANDA_DATA_DIR") or os.path.join(here, "..", "..", "..", "..", "shared", "data")


def lines(rel, encoding="utf-8", opener=open):
    with opener(os.path.join(root, rel), "rt", encoding=encoding, newline="") as f:
        text = f.read()
    if text.startswith("\ufeff"):
        text = text[1:]
    return [l.rstrip("\r") for l in text.split("\n") if l.rstrip("\r") != ""]


def show(rel, rows, labels=None, extra=""):
    dist = "" if labels is None else " " + json.dumps(dict(sorted(collections.Counter(labels).items())))
    print(f"{rel}: {rows}{dist}{extra}")


def tsv(rel, label_col, header, min_cols):
    ls = lines(rel)[1 if header else 0 :]
    rows = [l.split("\t") for l in ls]
    good = [r for r in rows if len(r) >= min_cols]
    bad = len(rows) - len(good)
    show(rel, len(good), None if label_col is None else [r[label_col] for r in good], f" (malformed: {bad})" if bad else "")


tsv("glue/CoLA/in_domain_train.tsv", 1, False, 4)
tsv("glue/CoLA/in_domain_dev.tsv", 1, False, 4)
tsv("glue/CoLA/out_of_domain_dev.tsv", 1, False, 4)
for s in ["train", "dev", "test"]:
    tsv(f"glue/SST-2/{s}.tsv", 1, True, 2)
tsv("glue/MRPC/msr_paraphrase_train.txt", 0, True, 5)
tsv("glue/MRPC/msr_paraphrase_test.txt", 0, True, 5)
for s in ["train", "dev"]:
    ls = lines(f"glue/STS-B/{s}.tsv")[1:]
    scores = [float(l.split("\t")[9]) for l in ls]
    show(f"glue/STS-B/{s}.tsv", len(scores), None, f" mean score {sum(scores) / len(scores):.6f}")
scores = [float(l.split("\t")[4]) for l in lines("glue/STS-B/original/sts-test.tsv")]
show("glue/STS-B/original/sts-test.tsv", len(scores), None, f" mean score {sum(scores) / len(scores):.6f}")
tsv("glue/RTE/train.tsv", 3, True, 4)
tsv("glue/RTE/dev.tsv", 3, True, 4)
tsv("glue/RTE/test.tsv", None, True, 3)
tsv("glue/QNLI/dev.tsv", 3, True, 4)
tsv("glue/QNLI/test.tsv", None, True, 3)
tsv("glue/QQP/qqp_train_random_subset_23496.tsv", 5, False, 6)


def jsonl(rel, label=lambda d: d.get("label"), opener=open):
    recs = [json.loads(l) for l in lines(rel, opener=opener)]
    return recs, [label(d) for d in recs]


for t in ["CB", "COPA", "RTE", "WiC", "WSC"]:
    for s in ["train", "val", "test"]:
        recs, labs = jsonl(f"superglue/{t}/{s}.jsonl")
        show(f"superglue/{t}/{s}.jsonl", len(recs), None if s == "test" else labs)
for s in ["train", "dev32", "val"]:
    recs, labs = jsonl(f"fewglue/BoolQ/{s}.jsonl")
    show(f"fewglue/BoolQ/{s}.jsonl", len(recs), labs)
for s in ["train", "dev32", "val"]:
    recs, _ = jsonl(f"fewglue/MultiRC/{s}.jsonl")
    qs = [q for d in recs for q in d["passage"]["questions"]]
    answers = [a["label"] for q in qs for a in q["answers"]]
    show(f"fewglue/MultiRC/{s}.jsonl", len(answers), answers, f" ({len(recs)} passages, {len(qs)} questions)")
for s in ["train", "test"]:
    recs, labs = jsonl(f"sentiment/imdb/{s}.jsonl.gz", opener=gzip.open)
    show(f"sentiment/imdb/{s}.jsonl.gz", len(recs), labs)
for s in ["train", "dev", "test"]:
    ls = lines(f"sentiment/sst5/stsa.fine.{s}")
    show(f"sentiment/sst5/stsa.fine.{s}", len(ls), [l.split(" ", 1)[0] for l in ls])
ls = lines("sentiment/mr/rt-polarity.all", encoding="cp1252")
show("sentiment/mr/rt-polarity.all", len(ls), [l.split(" ", 1)[0] for l in ls], " (Windows-1252)")
for s in ["dev", "test"]:
    ls = lines(f"topic/agnews/{s}.tsv")
    show(f"topic/agnews/{s}.tsv", len(ls), [l.split("\t")[-1] for l in ls])
