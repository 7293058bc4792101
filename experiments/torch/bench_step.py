#!/usr/bin/python3
"""PyTorch reference timing of one USE-Lite training step (a speed anchor, not a parity check).

Builds the USE-Lite encoder (packages/backbones/src/use-lite/README.md) in PyTorch with random
weights of the real shapes and times one training step -- forward, linear head, cross-entropy,
backward, clipping by global gradient norm (1.0), AdamW step on the trainable tensors -- for

  prompt-tuning       m trainable input rows [m, 256] in front of the token inputs (no timing
                      signal on them), keys/values over [prompt || tokens], pooling over the tokens
                      only; encoder frozen; trainable = prompt + head.
  deep-prompt-tuning  P-tuning v2 key/value prefix per layer, one table [m, 2*(256+512)] (layer 0
                      k, v of width 256, layer 1 k, v of width 512); queries from the tokens only;
                      mask extended by m ones; trainable = prefix + head.
  model-tuning        no prompt; every encoder weight (embedding table included unless
                      --freeze-embedding) + head trainable.

Batch 16, m = 16, token lengths 16, 32, 84, all positions real (full masks), float32, CPU.

Every (threads, method, T) cell runs in its own child process (so that its peak RSS is its own):
warm-up steps, then --reps repetitions of --steps consecutive steps; steps/s is the median over
repetitions of steps / wall time. tokens/s = B * T * steps/s (prompt rows not counted).

  /usr/bin/python3 experiments/torch/bench_step.py [--threads 1,2] [--lengths 16,32,84]
      [--methods prompt-tuning,deep-prompt-tuning,model-tuning] [--reps 5] [--steps 10]
      [--warmup 3] [--prompt-impl full[,lean]] [--out results.json]

Thread control: torch.set_num_threads(N) sets ATen's (OpenMP) intra-op threads; it does not touch
OpenBLAS's own pthread pool (2 threads by default on a 2-core machine), so the BLAS is limited to N
threads as well with threadpoolctl. Which BLAS ran is read from the process (threadpoolctl and
/proc/self/maps) and written to every row (`blas`, `blasDetail`).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone

METHODS = ("prompt-tuning", "deep-prompt-tuning", "model-tuning")
VOCAB = 8002
D0 = 256  # layer 0 width (embedding width)
D1 = 512  # layer 1 width, output width of every layer
FFN = 1536
HEADS = 4
MAX_LEN = 128
LN_EPS = 1e-6
PAD_BIAS = -1e9
L2_EPS = 1e-12


# --------------------------------------------------------------------------------------------------
# Worker: one (threads, method, T) cell.
# --------------------------------------------------------------------------------------------------


def detect_blas() -> dict:
    """Which BLAS this process loaded (call after torch has been imported)."""
    info: dict = {}
    try:
        import threadpoolctl

        for lib in threadpoolctl.threadpool_info():
            if lib.get("user_api") == "blas":
                info = {
                    "internal_api": lib.get("internal_api"),
                    "version": lib.get("version"),
                    "threading_layer": lib.get("threading_layer"),
                    "architecture": lib.get("architecture"),
                    "num_threads": lib.get("num_threads"),
                    "filepath": lib.get("filepath"),
                }
                break
    except ImportError:
        pass
    mapped = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            base = os.path.basename(path)
            if base.startswith(("libblas.so", "libopenblas", "libblis", "libmkl", "liblapack.so")):
                mapped.add(path)
    info["mapped"] = sorted(mapped)
    libblas = [p for p in mapped if os.path.basename(p).startswith("libblas.so")]
    if info.get("internal_api") == "openblas":
        label = "openblas"
        detail = f"OpenBLAS {info.get('version')} ({info.get('threading_layer')}, core {info.get('architecture')})"
    elif any("/blas/libblas.so" in p for p in libblas):
        label = "reference"
        detail = "reference BLAS (netlib, Debian libblas3) " + ", ".join(libblas)
    elif info.get("internal_api"):
        label = str(info["internal_api"])
        detail = f"{label} {info.get('version')}"
    else:
        label = "unknown"
        detail = ", ".join(sorted(mapped)) or "no BLAS library mapped"
    info["label"] = label
    info["detail"] = detail
    return info


def make_cell(cfg: dict) -> dict:
    """Builds one (threads, method, T) cell: the model, its trainable tensors and a `step` (forward,
    head, cross-entropy, backward, clipping, AdamW) and a no-grad `forward` at batch `fwdBatch`."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    threads = int(cfg["threads"])
    torch.set_num_threads(threads)
    blas_limit = None
    try:
        import threadpoolctl

        blas_limit = threadpoolctl.threadpool_limits(limits=threads, user_api="blas")
    except ImportError:
        pass
    torch.manual_seed(cfg["seed"])

    method = cfg["method"]
    B, T, m = cfg["batch"], cfg["T"], cfg["promptLength"]
    lean = cfg["promptImpl"] == "lean"
    if method != "model-tuning" and m + T > MAX_LEN:
        raise SystemExit(f"m + T = {m + T} > {MAX_LEN}")

    class Layer(nn.Module):
        """tensor2tensor pre-norm TransformerLayer of USE-Lite (input width d, output 512)."""

        def __init__(self, d: int):
            super().__init__()
            self.d = d
            self.ln1 = nn.LayerNorm(d, eps=LN_EPS)
            self.qkv = nn.Linear(d, 3 * d)
            self.out = nn.Linear(d, D1)
            self.res = nn.Linear(d, D1) if d != D1 else None
            self.ln2 = nn.LayerNorm(D1, eps=LN_EPS)
            self.ff1 = nn.Linear(D1, FFN)
            self.ff2 = nn.Linear(FFN, D1)

        def heads(self, x):  # [B, S, d] -> [B, H, S, d/H]
            b, s, _ = x.shape
            return x.reshape(b, s, HEADS, self.d // HEADS).transpose(1, 2)

        def forward(self, x, key_mask, pre=None, pre_shared=False, pre_out=True, prefix=None):
            """x: [B, S, d] rows that produce outputs (queries). key_mask: [B, S_keys] (1 = real).

            pre: rows in front of x that are keys/values (and, if pre_out, queries too); [m, d] when
            pre_shared (the same rows for every example: their per-row work runs once).
            prefix: (k, v), each [m, d]: extra keys/values in front (deep prompt tuning).
            Returns (out_pre or None, out_x).
            """
            b, s, d = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(d, -1)
            rows, ks, vs, qs = [x], [k], [v], [q]
            res_pre = None
            if pre is not None:
                yp = self.ln1(pre)
                if pre_out:
                    qp, kp, vp = self.qkv(yp).split(d, -1)
                else:  # the prompt rows' queries are never read: project keys/values only
                    kp, vp = F.linear(yp, self.qkv.weight[d:], self.qkv.bias[d:]).split(d, -1)
                    qp = None
                if pre_shared:
                    mp = pre.shape[0]
                    kp, vp = kp.expand(b, mp, d), vp.expand(b, mp, d)
                    if qp is not None:
                        qp = qp.expand(b, mp, d)
                ks.insert(0, kp)
                vs.insert(0, vp)
                if pre_out:
                    qs.insert(0, qp)
                    if self.res is not None:
                        res_pre = self.res(pre)
                        if pre_shared:
                            res_pre = res_pre.expand(b, pre.shape[0], D1)
                    else:
                        res_pre = pre.expand(b, *pre.shape[-2:]) if pre_shared else pre
            if prefix is not None:
                pk, pv = prefix
                ks.insert(0, pk.expand(b, *pk.shape))
                vs.insert(0, pv.expand(b, *pv.shape))
            q = self.heads(torch.cat(qs, 1) if len(qs) > 1 else q) * (1.0 / math.sqrt(d // HEADS))
            k = self.heads(torch.cat(ks, 1) if len(ks) > 1 else k)
            v = self.heads(torch.cat(vs, 1) if len(vs) > 1 else v)
            bias = ((1.0 - key_mask) * PAD_BIAS)[:, None, None, :]
            att = torch.softmax(q @ k.transpose(-1, -2) + bias, -1) @ v
            att = att.transpose(1, 2).reshape(b, -1, d)
            res = self.res(x) if self.res is not None else x
            if res_pre is not None:
                res = torch.cat([res_pre, res], 1)
            h = self.out(att) + res
            h = h + self.ff2(F.relu(self.ff1(self.ln2(h))))
            if pre is not None and pre_out:
                mp = pre.shape[-2]
                return h[:, :mp], h[:, mp:]
            return None, h

    class UseLite(nn.Module):
        def __init__(self):
            super().__init__()
            self.embeddings = nn.Parameter(torch.randn(VOCAB, D0) * 0.05)
            inc = math.log(1.0e4) / (D0 // 2 - 1)
            inv = torch.exp(torch.arange(D0 // 2, dtype=torch.float32) * -inc)
            pos = torch.arange(MAX_LEN, dtype=torch.float32)[:, None] * inv[None, :]
            self.register_buffer("timing", torch.cat([pos.sin(), pos.cos()], -1))  # [128, 256]
            self.layer0 = Layer(D0)
            self.layer1 = Layer(D1)
            self.tanh = nn.Linear(D1, D1)

        def embed(self, ids):
            e = F.embedding(ids, self.embeddings)
            return e + (e + self.timing[: ids.shape[1]])  # the graph adds the embedding twice

        def head(self, h, mask):
            pooled = (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)
            y = torch.tanh(self.tanh(pooled))
            return y * torch.rsqrt((y * y).sum(-1, keepdim=True).clamp(min=L2_EPS))

        def forward(self, ids, mask, prompt=None, prefix=None):
            x = self.embed(ids)
            b = ids.shape[0]
            if prefix is not None:  # [m, 2*(256+512)]: l0 key, l0 value, l1 key, l1 value
                mp = prefix.shape[0]
                k0, v0, k1, v1 = prefix.split([D0, D0, D1, D1], -1)
                kmask = torch.cat([mask.new_ones(b, mp), mask], 1)
                _, h = self.layer0(x, kmask, prefix=(k0, v0))
                _, h = self.layer1(h, kmask, prefix=(k1, v1))
            elif prompt is not None:
                mp = prompt.shape[0]
                kmask = torch.cat([mask.new_ones(b, mp), mask], 1)
                if lean:  # prompt rows' per-row layer-0 work once; last layer: token queries only
                    hp, h = self.layer0(x, kmask, pre=prompt, pre_shared=True, pre_out=True)
                    _, h = self.layer1(h, kmask, pre=hp, pre_out=False)
                else:  # plain: the whole [prompt || tokens] sequence through both layers
                    xs = torch.cat([prompt.expand(b, mp, D0), x], 1)
                    _, h = self.layer0(xs, kmask)
                    _, h = self.layer1(h, kmask)
                    h = h[:, mp:]
            else:
                _, h = self.layer0(x, mask)
                _, h = self.layer1(h, mask)
            return self.head(h, mask)

    model = UseLite()
    head = nn.Linear(D1, 2)
    prompt = prefix = None
    if method == "model-tuning":
        model.embeddings.requires_grad_(not cfg["freezeEmbedding"])
        trainable = [p for p in model.parameters() if p.requires_grad] + list(head.parameters())
    else:
        for p in model.parameters():
            p.requires_grad_(False)
        if method == "prompt-tuning":
            prompt = nn.Parameter(torch.randn(m, D0) * 0.5)
            trainable = [prompt] + list(head.parameters())
        elif method == "deep-prompt-tuning":
            prefix = nn.Parameter(torch.randn(m, 2 * (D0 + D1)) * 0.5)
            trainable = [prefix] + list(head.parameters())
        else:
            raise SystemExit(f"unknown method {method}")
    n_trainable = sum(p.numel() for p in trainable)
    lr = cfg["lr"] if cfg["lr"] is not None else (1e-4 if method == "model-tuning" else 1e-2)
    opt = torch.optim.AdamW(trainable, lr=lr, weight_decay=0.01)

    g = torch.Generator().manual_seed(cfg["seed"] + 1)
    ids = torch.randint(6, 8000, (B, T), generator=g)
    mask = torch.ones(B, T)
    labels = torch.randint(0, 2, (B,), generator=g)

    def step():
        opt.zero_grad(set_to_none=True)
        logits = head(model(ids, mask, prompt=prompt, prefix=prefix))
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        opt.step()
        return loss

    fb = int(cfg.get("fwdBatch", 32))
    fids = torch.randint(6, 8000, (fb, T), generator=g)
    fmask = torch.ones(fb, T)

    def forward():
        with torch.no_grad():
            return head(model(fids, fmask, prompt=prompt, prefix=prefix))

    return {"step": step, "forward": forward, "torch": torch, "threads": threads, "blas_limit": blas_limit,
            "B": B, "T": T, "m": m, "method": method, "n_trainable": n_trainable}


def build_and_time(cfg: dict) -> dict:
    cell = make_cell(cfg)
    torch, step = cell["torch"], cell["step"]
    threads, blas_limit, B, T, m, method, n_trainable = (cell[k] for k in ("threads", "blas_limit", "B", "T", "m", "method", "n_trainable"))
    losses = []
    for _ in range(cfg["warmup"]):
        losses.append(float(step()))
    walls, cpus = [], []
    for _ in range(cfg["reps"]):
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(cfg["steps"]):
            loss = step()
        losses.append(float(loss))
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    sps = [cfg["steps"] / w for w in walls]
    steps_per_second = statistics.median(sps)
    blas = detect_blas()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "method": method,
        "T": T,
        "threads": threads,
        "blas": blas["label"],
        "stepsPerSecond": round(steps_per_second, 4),
        "tokensPerSecond": round(B * T * steps_per_second, 1),
        "peakRssMiB": round(peak_kib / 1024, 1),
        "torchVersion": torch.__version__,
        # extras
        "blasDetail": blas["detail"],
        "blasThreads": blas.get("num_threads"),
        "atenThreads": torch.get_num_threads(),
        "promptImpl": cfg["promptImpl"] if method == "prompt-tuning" else None,
        "batch": B,
        "promptLength": m if method != "model-tuning" else 0,
        "trainableParams": n_trainable,
        "embeddingTrainable": method == "model-tuning" and not cfg["freezeEmbedding"],
        "msPerStepMedian": round(1000 / steps_per_second, 2),
        "msPerStepFastest": round(1000 * min(walls) / cfg["steps"], 2),
        "cpuMsPerStepMedian": round(1000 * statistics.median(cpus) / cfg["steps"], 2),
        "stepsPerSecondReps": [round(x, 4) for x in sps],
        "reps": cfg["reps"],
        "stepsPerRep": cfg["steps"],
        "warmup": cfg["warmup"],
        "lossFirst": round(losses[0], 5),
        "lossLast": round(losses[-1], 5),
        "finite": all(math.isfinite(x) for x in losses),
        "loadAvgAfter": [round(x, 2) for x in os.getloadavg()],
        "_blasLimitApplied": blas_limit is not None,
    }


# --------------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------------


def print_table(rows: list[dict]) -> None:
    head = f"{'blas':<10} {'method':<19} {'impl':<5} {'T':>3} {'thr':>3} {'steps/s':>8} {'tokens/s':>9} {'ms/step':>8} {'cpu ms':>8} {'fastest':>8} {'RSS MiB':>8}"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['blas']:<10} {r['method']:<19} {(r.get('promptImpl') or '-'):<5} {r['T']:>3} {r['threads']:>3} "
            f"{r['stepsPerSecond']:>8.3f} {r['tokensPerSecond']:>9.1f} {r['msPerStepMedian']:>8.1f} "
            f"{r['cpuMsPerStepMedian']:>8.1f} {r['msPerStepFastest']:>8.1f} {r['peakRssMiB']:>8.1f}"
        )


def serve() -> None:
    """Interleaved benchmarking from another process: JSON lines on stdin, one reply per line on
    stdout. {"op": "setup", "cfg": {...}} builds a cell (replies with the BLAS that runs);
    {"op": "run", "kind": "step" | "forward", "n": N} times N consecutive calls (replies seconds
    of wall and CPU time); {"op": "quit"}."""
    cell = None
    for line in sys.stdin:
        msg = json.loads(line)
        if msg["op"] == "quit":
            break
        if msg["op"] == "setup":
            cfg = {"threads": 1, "seed": 1, "promptImpl": "full", "freezeEmbedding": False, "lr": None, **msg["cfg"]}
            cell = make_cell(cfg)
            reply = {"ok": True, "blas": detect_blas(), "atenThreads": cell["torch"].get_num_threads(), "torch": cell["torch"].__version__}
        elif msg["op"] == "run":
            fn = cell["step"] if msg["kind"] == "step" else cell["forward"]
            w0, c0 = time.perf_counter(), time.process_time()
            for _ in range(int(msg["n"])):
                out = fn()
            reply = {"ok": True, "wall": time.perf_counter() - w0, "cpu": time.process_time() - c0, "finite": bool(out.isfinite().all())}
        else:
            reply = {"ok": False, "error": f"unknown op {msg['op']}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", default="1", help="comma list of thread counts (default 1)")
    ap.add_argument("--lengths", default="16,32,84")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--prompt-length", type=int, default=16)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--steps", type=int, default=10, help="steps per timed repetition")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--prompt-impl", default="full",
                    help="comma list of prompt-tuning implementations: full = [prompt || tokens] through both "
                         "layers (default); lean = the TypeScript encoder's shortcuts (prompt rows' layer-0 "
                         "per-row work once per batch, last layer queries from the tokens only)")
    ap.add_argument("--freeze-embedding", action="store_true", help="model-tuning: keep the [8002, 256] table frozen")
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", help="write the rows as JSON here")
    ap.add_argument("--append", action="store_true",
                    help="keep the rows already in --out (e.g. threads=2 measured in a later run) and add these")
    ap.add_argument("--in-process", action="store_true", help="run every cell in this process (peak RSS is then cumulative)")
    ap.add_argument("--show", nargs="+", metavar="JSON", help="only print the table of these result files")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--serve", action="store_true", help="JSON-lines server for interleaved runs (see serve())")
    a = ap.parse_args()

    if a.show:
        for path in a.show:
            with open(path) as f:
                d = json.load(f)
            print(f"{path}: {d['meta'].get('command')} ({d['meta'].get('started')} .. {d['meta'].get('finished')})")
            print_table(d["rows"])
            print()
        return

    if a.serve:
        serve()
        return
    if a.worker:
        print("RESULT " + json.dumps(build_and_time(json.loads(a.worker))), flush=True)
        return
    if a.reps < 5 or a.steps < 10:
        print("note: the reported protocol is --reps >= 5, --steps >= 10", file=sys.stderr)

    methods = [x for x in a.methods.split(",") if x]
    for mth in methods:
        if mth not in METHODS:
            ap.error(f"unknown method {mth}")
    impls = [x for x in a.prompt_impl.split(",") if x]
    for impl in impls:
        if impl not in ("full", "lean"):
            ap.error(f"unknown --prompt-impl {impl}")
    cells = [(method, impl) for method in methods for impl in (impls if method == "prompt-tuning" else ["full"])]
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    rows = []
    earlier: list = []
    earlier_runs: list = []
    if a.append and a.out and os.path.exists(a.out):
        with open(a.out) as f:
            prev = json.load(f)
        earlier = prev.get("rows", [])
        earlier_runs = prev.get("meta", {}).get("earlierRuns", []) + [
            {k: prev.get("meta", {}).get(k) for k in ("command", "started", "finished", "complete")}]

    def write(rows_so_far: list, complete: bool) -> None:
        """The JSON is rewritten after every cell, so an interrupted run keeps what it measured."""
        if not a.out:
            return
        meta = {
            "script": "experiments/torch/bench_step.py",
            "command": " ".join([sys.executable] + sys.argv),
            "started": started,
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "complete": complete,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpu": next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?"),
            "cpus": os.cpu_count(),
            "env": {k: os.environ[k] for k in sorted(os.environ)
                    if k.startswith(("OPENBLAS_", "OMP_", "MKL_", "GOTO_")) or k == "LD_LIBRARY_PATH"},
            "note": "random weights; speed anchor only (numeric parity is checked in the TypeScript tests)",
        }
        if earlier_runs:
            meta["earlierRuns"] = earlier_runs  # the runs that measured the first len(earlier) rows
        tmp = a.out + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"meta": meta, "rows": earlier + rows_so_far}, f, indent=2)
            f.write("\n")
        os.replace(tmp, a.out)

    for threads in [int(x) for x in a.threads.split(",")]:
        for method, impl in cells:
            for T in [int(x) for x in a.lengths.split(",")]:
                cfg = {
                    "method": method, "T": T, "threads": threads, "batch": a.batch,
                    "promptLength": a.prompt_length, "reps": a.reps, "steps": a.steps,
                    "warmup": a.warmup, "promptImpl": impl, "seed": a.seed, "lr": a.lr,
                    "freezeEmbedding": a.freeze_embedding,
                }
                if a.in_process:
                    row = build_and_time(cfg)
                else:
                    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", json.dumps(cfg)],
                                       capture_output=True, text=True)
                    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")]
                    if p.returncode != 0 or not lines:
                        sys.stderr.write(p.stdout + p.stderr)
                        raise SystemExit(f"worker failed: {method} ({impl}) T={T} threads={threads}")
                    row = json.loads(lines[-1][len("RESULT "):])
                rows.append(row)
                write(rows, False)
                print(f"{row['blas']} {method}{' (' + impl + ')' if method == 'prompt-tuning' else ''} T={T} threads={threads}: {row['stepsPerSecond']:.3f} steps/s "
                      f"({row['msPerStepMedian']:.1f} ms, cpu {row['cpuMsPerStepMedian']:.1f} ms), "
                      f"{row['tokensPerSecond']:.0f} tokens/s, peak RSS {row['peakRssMiB']} MiB, "
                      f"loss {row['lossFirst']} -> {row['lossLast']}, load {row['loadAvgAfter']}", flush=True)
    write(rows, True)
    print()
    print_table(rows)
    if a.out:
        print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
