#!/usr/bin/env bash
# Wall time of real CLI runs with the training steps on TensorFlow.js (PANDA_ONNX_TRAIN=0, the path
# before the training engine) and on ONNX Runtime (the default), back to back, same seed; each run's
# --json result goes to $OUT. Needs the data directory (../shared/data or $PANDA_DATA_DIR).
#   experiments/walltime/run.sh [out-dir]
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${1:-/tmp/panda-walltime}"
mkdir -p "$OUT"
panda() { node apps/cli/bin/panda.js "$@"; }
timed() { # name, command...
  local name=$1; shift
  local t0; t0=$(date +%s.%N)
  "$@" > "$OUT/$name.json"
  echo "$name $(echo "$(date +%s.%N) - $t0" | bc) s" | tee -a "$OUT/times.txt"
}

# 1. Prompt tuning on 2,000 SST-2 rows, 3 epochs (dev: the task's 6,735-row dev split; test: 872 rows).
for side in tfjs onnx; do
  flag=$([ "$side" = tfjs ] && echo 0 || echo 1)
  rm -rf "$OUT/sst2-$side"
  timed "tune-sst2-$side" env PANDA_ONNX_TRAIN=$flag node apps/cli/bin/panda.js tune -t sst2 --max-train 2000 --epochs 3 --seed 1 --backend wasm -o "$OUT/sst2-$side" --json
done

# 2. One PANDA transfer job: a bank of two source prompts (SST-2 and AG News, 8 rows), then MR as the
#    target (2,000 training rows, 3 epochs): task embedding, retrieval, PoT teacher, distilled student.
BANK="$OUT/bank"
if [ ! -d "$BANK" ]; then
  for src in sst2 agnews; do
    panda tune -t $src --max-train 2000 --epochs 2 --seed 1 --prompt-length 8 --backend wasm -o "$OUT/src-$src" --json > /dev/null
    panda bank add "$OUT/src-$src" --bank "$BANK" > /dev/null
  done
fi
for side in tfjs onnx; do
  flag=$([ "$side" = tfjs ] && echo 0 || echo 1)
  rm -rf "$OUT/mr-$side"
  timed "transfer-mr-$side" env PANDA_ONNX_TRAIN=$flag node apps/cli/bin/panda.js transfer -t mr --max-train 2000 --epochs 3 --seed 1 --prompt-length 8 --no-store --no-baseline --bank "$BANK" --backend wasm -o "$OUT/mr-$side" --json
done
