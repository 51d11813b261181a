#!/usr/bin/env bash
# Side-by-side speed, memory and accuracy of `siamese` and the PyTorch
# reference (../shared/bench/torch_reference.py) on the same images, the
# same network, the same number of pairs and the same batch size.
#
#   scripts/bench.sh                       # MNIST import (scripts/fetch-data.sh)
#   TRAIN=DIR TEST=DIR PAIRS=20000 EPOCHS=1 SEED=1 scripts/bench.sh
#
# Prints one table: training and evaluation pairs/s, peak RSS, test-pair
# accuracy at the best threshold, and siamese/PyTorch ratios. Needs Debian's
# python3-torch, python3-numpy, python3-pil and libopenblas0-pthread
# (installed here when missing and running as root).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TRAIN=${TRAIN:-data/mnist/train}
TEST=${TEST:-data/mnist/test}
PAIRS=${PAIRS:-20000}
EPOCHS=${EPOCHS:-1}
BATCH=${BATCH:-64}
THREADS=${THREADS:-2}
SEED=${SEED:-1}
TORCH_REF=${TORCH_REF:-../shared/bench/torch_reference.py}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"

say() { printf 'bench: %s\n' "$*" >&2; }

[[ -d $TRAIN && -d $TEST ]] || { say "no data in $TRAIN / $TEST: run scripts/fetch-data.sh first"; exit 1; }
if ! /usr/bin/python3 -c 'import torch, numpy, PIL' 2>/dev/null; then
	[[ $(id -u) == 0 ]] || { say "PyTorch missing: apt-get install python3-torch python3-numpy python3-pil libopenblas0-pthread"; exit 1; }
	say "installing PyTorch from Debian"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-numpy python3-pil libopenblas0-pthread >/dev/null
fi

say "building bin/siamese"
CGO_ENABLED=0 go build -o bin/siamese ./cmd/siamese

# peak_rss CMD...: runs CMD with its stdout kept, then prints the peak
# resident set of the child in MiB on fd 3.
peak_rss() {
	/usr/bin/python3 - "$@" <<'PY'
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:])
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
with open(3, "w") as f:
    f.write(f"{peak:.1f}\n")
sys.exit(r.returncode)
PY
}

say "siamese train: $EPOCHS epoch(s) of $PAIRS pairs from $TRAIN"
# All of TRAIN is used for training (no test split: TEST is the test set);
# a small validation split picks the threshold, as PyTorch's script does not.
peak_rss bin/siamese train --data "$TRAIN" --epochs "$EPOCHS" --pairs-per-epoch "$PAIRS" \
	--batch-size "$BATCH" --test-split 0 --val-split 0.02 --val-pairs 1000 --seed "$SEED" \
	--out "$OUT/bench.safetensors" --json >"$OUT/train.json" 2>"$OUT/train.log" 3>"$OUT/train.rss"
say "siamese eval: 2000 pairs of $TEST"
peak_rss bin/siamese eval --model "$OUT/bench.safetensors" --data "$TEST" --pairs 2000 --seed "$SEED" --json \
	>"$OUT/eval.json" 3>"$OUT/eval.rss"
say "PyTorch reference"
/usr/bin/python3 "$TORCH_REF" --train "$TRAIN" --test "$TEST" --epochs "$EPOCHS" --pairs "$PAIRS" \
	--batch "$BATCH" --threads "$THREADS" --seed "$SEED" >"$OUT/torch.json" 2>"$OUT/torch.log"

/usr/bin/python3 - "$OUT" <<'PY'
import json, sys, os
d = sys.argv[1]
tr = json.load(open(os.path.join(d, "train.json")))
ev = json.load(open(os.path.join(d, "eval.json")))
to = json.load(open(os.path.join(d, "torch.json")))
rss = max(float(open(os.path.join(d, f)).read()) for f in ("train.rss", "eval.rss"))
rows = [
    ("train pairs/s", tr["pairs_per_s"], to["train_pairs_per_s"], True),
    ("eval pairs/s", ev["pairs_per_s"], to["eval_pairs_per_s"], True),
    ("peak RSS MiB", rss, to["peak_rss_mib"], False),
    ("test acc (best thr)", ev["best_accuracy"], to["test_accuracy_best_threshold"], True),
]
print(f"{'':22}{'siamese':>10}{'pytorch':>10}{'ratio':>8}")
for name, a, b, _ in rows:
    print(f"{name:22}{a:>10.4g}{b:>10.4g}{a / b:>8.2f}")
print(f"\n(siamese train pairs {tr['pairs']}, torch {to['train_pairs']}; files in {d})")
PY
