#!/usr/bin/env bash
# Side-by-side speed, memory and accuracy of `siamese` and the PyTorch
# reference (../shared/bench/torch_reference.py, or TORCH_REF=FILE from a
# clone elsewhere) on the same images, the same network, the same number of
# pairs and the same batch size.
#
#   scripts/bench.sh                       # MNIST import (scripts/fetch-data.sh)
#   TRAIN=DIR TEST=DIR PAIRS=20000 EPOCHS=1 SEED=1 scripts/bench.sh
#   PER_CLASS=1000 SEED=1 scripts/bench.sh # train on the first 1,000 images of each class
#
# Prints one table: training and evaluation pairs/s, peak RSS, test-pair
# accuracy at the best threshold, and siamese/PyTorch ratios. Both
# accuracies are measured on the same 2,000 test pairs, the ones the
# reference draws (siamese's embeddings of TEST, scored in Python with the
# reference's own pair drawing); siamese's own `eval` pairs are a different
# draw, whose figure is printed on a row of its own. Needs Debian's
# python3-torch, python3-numpy, python3-pil and libopenblas0-pthread
# (installed here when missing and running as root).
#
#   scripts/bench.sh colour                # the default tower on 48 px colour icons
#   SIAMESE_KERNELS=avx2 scripts/bench.sh  # siamese on its AVX2 GEMM kernels (a CPU without AVX-512)
#   scripts/bench.sh photos                # configs/photos.yaml, 64 px colour
#   TRAIN=data/photos20k SIZE=64 PAIRS=5000 scripts/bench.sh photos
#
# The photos mode trains the photos preset (`siamese train --config
# configs/photos.yaml`) beside the same tower in PyTorch
# (scripts/photos_reference.py) on the same folder (default
# data/icons/train, scripts/fetch-openset.sh; or a folder from
# scripts/make-photos), the same number of pairs and batch size, and prints
# train pairs/s and peak RSS with their ratios. The preset's augmentation is
# turned off (AUGMENT=1 keeps it), as the reference has none, and its class
# batches and NT-Xent loss are set to the reference's random pairs and
# contrastive loss; its weight decay and gradient clipping are in both. siamese decodes into a fresh
# cache under the output folder (CACHE=DIR to reuse one).
#
# On a machine without Go, BIN=FILE times a siamese built elsewhere, and
# PYTHON=FILE names the Python with PyTorch when it is not /usr/bin/python3
# (scripts/bench-machine.sh runs the whole table so).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

MODE=${1:-${PRESET:-mnist}}
case $MODE in
mnist | default | colour | photos) ;;
*) printf 'bench: unknown mode %q (want colour, photos, or none for the 28 px MNIST comparison)\n' "$MODE" >&2; exit 2 ;;
esac

if [[ $MODE == photos ]]; then
	TRAIN=${TRAIN:-data/icons/train}
	PAIRS=${PAIRS:-5000}
elif [[ $MODE == colour ]]; then
	# The default tower on colour: the icon-theme set at 48 px
	# (scripts/fetch-openset.sh icons), test pairs from its unseen names.
	TRAIN=${TRAIN:-data/icons/train}
	TEST=${TEST:-data/icons/test}
	SIZE=${SIZE:-48}
	CHANNELS=${CHANNELS:-3}
else
	TRAIN=${TRAIN:-data/mnist/train}
fi
TEST=${TEST:-data/mnist/test}
CHANNELS=${CHANNELS:-1}
PAIRS=${PAIRS:-20000}
EPOCHS=${EPOCHS:-1}
BATCH=${BATCH:-64}
THREADS=${THREADS:-2}
# The share of TRAIN siamese keeps out of training to pick its threshold
# (the reference trains on all of it).
VAL_SPLIT=${VAL_SPLIT:-0.02}
SEED=${SEED:-1}
TORCH_REF=${TORCH_REF:-../shared/bench/torch_reference.py}
# Numbers are checked before any work: a bad one would otherwise fail
# inside a run whose log is in a temporary folder.
for v in PAIRS EPOCHS BATCH THREADS SEED ${SIZE:+SIZE} ${PER_CLASS:+PER_CLASS}; do
	[[ ${!v} =~ ^[0-9]+$ ]] || { printf 'bench: %s=%q, want a whole number\n' "$v" "${!v}" >&2; exit 2; }
	[[ $v == SEED || $v == PER_CLASS ]] || ((10#${!v} > 0)) || { printf 'bench: %s=%s, want at least 1\n' "$v" "${!v}" >&2; exit 2; }
done
[[ $CHANNELS == 1 || $CHANNELS == 3 ]] || { printf 'bench: CHANNELS=%q, want 1 or 3\n' "$CHANNELS" >&2; exit 2; }
OUT=${OUT:-$(mktemp -d)}
BIN=${BIN:-bin/siamese} # the binary built and timed
# A machine without Go (a measuring box) runs a binary built elsewhere: BIN=path.
PYTHON=${PYTHON:-/usr/bin/python3}
mkdir -p "$OUT"

say() { printf 'bench: %s\n' "$*" >&2; }

# logged NAME CMD...: runs CMD (a peak_rss line, its output redirected by
# the caller), and if it fails says so, on the script's own stderr (fd 4),
# with the last line of OUT/NAME.log.
exec 4>&2
logged() {
	local name=$1
	shift
	"$@" || { say "$name failed: $(tail -n 1 "$OUT/$name.log" 2>/dev/null) (log: $OUT/$name.log)" 2>&4; exit 1; }
}

# build: bin/siamese from this tree, or the BIN already there where there is no go.
build() {
	if command -v go >/dev/null; then
		say "building $BIN"
		CGO_ENABLED=0 go build -o "$BIN" ./cmd/siamese
	else
		[[ -x $BIN ]] || { say "no go to build $BIN with: build it elsewhere (CGO_ENABLED=0 go build -o siamese ./cmd/siamese) and set BIN"; exit 1; }
		say "no go here: timing $BIN as it is"
	fi
}

# machine: the CPU and how busy it was, for the table's caption.
machine() {
	local cpu simd=none
	cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
	if grep -qw avx512f /proc/cpuinfo; then simd=AVX-512; elif grep -qw avx2 /proc/cpuinfo; then simd=AVX2; fi
	# SIAMESE_KERNELS=avx2 (or generic) runs siamese's slower GEMM kernels,
	# to see here how a CPU without AVX-512 fares.
	[[ -n ${SIAMESE_KERNELS:-} ]] && simd="$simd, siamese GEMM kernels forced to $SIAMESE_KERNELS"
	printf 'cpu: %s, %s cores, %s; load average at start: %s\n' "${cpu:-unknown}" "$(nproc)" "$simd" "$(cut -d' ' -f1-3 /proc/loadavg)"
}
MACHINE=$(machine)

# peak_rss CMD...: runs CMD with its stdout kept, then prints the peak
# resident set of the child in MiB on fd 3.
peak_rss() {
	"$PYTHON" - "$@" <<'PY'
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:])
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
with open(3, "w") as f:
    f.write(f"{peak:.1f}\n")
sys.exit(r.returncode)
PY
}

if [[ $MODE == photos ]]; then
	SIZE=${SIZE:-64}
	AUGMENT=${AUGMENT:-0}
	TORCH_PHOTOS=${TORCH_PHOTOS:-scripts/photos_reference.py}
	CACHE=${CACHE:-$OUT/cache}
	[[ -d $TRAIN ]] || { say "no data in $TRAIN: run scripts/fetch-openset.sh, or go run ./scripts/make-photos -n 20000 -out data/photos20k and TRAIN=data/photos20k"; exit 1; }
	"$PYTHON" -c 'import torch, numpy, PIL' 2>/dev/null || { say "PyTorch missing: apt-get install python3-torch python3-numpy python3-pil libopenblas0-pthread"; exit 1; }
	build
	noaug=()
	[[ $AUGMENT == 1 ]] || noaug=(--augment-shift 0 --augment-rotate 0 --augment-flip=false --augment-brightness 0)
	# The reference trains on random balanced pairs under the contrastive
	# loss; the preset's class batches and NT-Xent are set back to that, so
	# that both do the same work per pair.
	pairwise=(--batches pairs --loss contrastive --margin 1 --mining random)
	say "siamese train --config configs/photos.yaml: $EPOCHS epoch(s) of $PAIRS pairs from $TRAIN at $SIZE px"
	logged train peak_rss "$BIN" train --config configs/photos.yaml --data "$TRAIN" --size "$SIZE" --channels 3 \
		--epochs "$EPOCHS" --pairs-per-epoch "$PAIRS" --batch-size "$BATCH" --test-split 0 --val-split 0.02 \
		--val-pairs 1000 --seed "$SEED" "${noaug[@]}" "${pairwise[@]}" --cache-dir "$CACHE" \
		--out "$OUT/photos.safetensors" --json >"$OUT/train.json" 2>"$OUT/train.log" 3>"$OUT/train.rss"
	say "PyTorch: $TORCH_PHOTOS"
	logged torch peak_rss "$PYTHON" "$TORCH_PHOTOS" --train "$TRAIN" --size "$SIZE" --channels 3 --epochs "$EPOCHS" \
		--pairs "$PAIRS" --batch "$BATCH" --threads "$THREADS" --seed "$SEED" >"$OUT/torch.json" 2>"$OUT/torch.log" 3>"$OUT/torch.rss"
	"$PYTHON" - "$OUT" "$MACHINE" "$TRAIN" "$SIZE" "$BATCH" "$AUGMENT" <<'PY'
import json, os, re, sys
d, machine, train, size, batch, aug = sys.argv[1:]
def rss(name):  # peak_rss's MiB
    return float(open(os.path.join(d, name)).read())
tr = json.load(open(os.path.join(d, "train.json")))
to = json.load(open(os.path.join(d, "torch.json")))
rows = [
    ("train pairs/s", tr["pairs_per_s"], to["train_pairs_per_s"]),
    ("peak RSS MiB", rss("train.rss"), rss("torch.rss")),
    ("train loss", tr["history"][-1]["train_loss"], to["train_loss"]),
]
print(f"photos preset ({size} px colour, batch {batch}, augmentation {'on' if aug == '1' else 'off'}) on {train}")
print(machine)
print(f"{'':22}{'siamese':>10}{'pytorch':>10}{'ratio':>8}")
for name, a, b in rows:
    print(f"{name:22}{a:>10.4g}{b:>10.4g}{a / b:>8.2f}")
print(f"\n(siamese train pairs {tr['pairs']} of {tr['train_images']} images, GEMM kernels {tr.get('gemm_kernels', '?')}, torch {to['train_pairs']} of {to['images']}; "
      f"{to['threads']} torch threads, torch {to['torch']}; files in {d})")
PY
	exit 0
fi

fetch="scripts/fetch-data.sh"
[[ $MODE == colour ]] && fetch="scripts/fetch-openset.sh icons"
[[ -d $TRAIN && -d $TEST ]] || { say "no data in $TRAIN / $TEST: run $fetch first"; exit 1; }
# The reference sits beside the project (../shared), not in it: a clone
# elsewhere names it with TORCH_REF.
[[ -f $TORCH_REF ]] || { say "no PyTorch reference at $TORCH_REF: run from the project beside ../shared, or set TORCH_REF=path/to/torch_reference.py"; exit 1; }
# PER_CLASS=N trains both sides on the first N images (by name) of each class
# of TRAIN, the smaller runs of issue 11 (N=1000: 10,000 MNIST images).
PER_CLASS=${PER_CLASS:-0}
if ((PER_CLASS > 0)); then
	say "training set: the first $PER_CLASS images of each class of $TRAIN, in $OUT/train"
	for d in "$TRAIN"/*/; do
		c=$(basename "$d")
		mkdir -p "$OUT/train/$c"
		# sed, not head: head would close the pipe early and pipefail end the script.
		find "$d" -maxdepth 1 -type f | sort | sed -n "1,${PER_CLASS}p" | xargs -r -d '\n' cp -t "$OUT/train/$c"
	done
	TRAIN=$OUT/train
fi
if ! "$PYTHON" -c 'import torch, numpy, PIL' 2>/dev/null; then
	[[ $(id -u) == 0 ]] || { say "PyTorch missing: apt-get install python3-torch python3-numpy python3-pil libopenblas0-pthread"; exit 1; }
	say "installing PyTorch from Debian"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-numpy python3-pil libopenblas0-pthread >/dev/null
fi

build

say "siamese train: $EPOCHS epoch(s) of $PAIRS pairs from $TRAIN"
# All of TRAIN is used for training (no test split: TEST is the test set);
# a small validation split picks the threshold, as PyTorch's script does not.
logged train peak_rss "$BIN" train --data "$TRAIN" --size "${SIZE:-28}" --channels "$CHANNELS" --epochs "$EPOCHS" --pairs-per-epoch "$PAIRS" \
	--batch-size "$BATCH" --test-split 0 --val-split "$VAL_SPLIT" --val-pairs 1000 --seed "$SEED" \
	--out "$OUT/bench.safetensors" --json >"$OUT/train.json" 2>"$OUT/train.log" 3>"$OUT/train.rss"
say "siamese eval: 2000 pairs of $TEST"
logged eval peak_rss "$BIN" eval --model "$OUT/bench.safetensors" --data "$TEST" --pairs 2000 --seed "$SEED" --json \
	>"$OUT/eval.json" 2>"$OUT/eval.log" 3>"$OUT/eval.rss"
# Two draws of 2,000 pairs differ by about 0.005 in accuracy on their own
# (sd over draws about 0.004 for one model), as much as the two programs differ:
# the accuracy row scores siamese on the reference's pairs instead.
"$BIN" embed "$TEST" --model "$OUT/bench.safetensors" --out "$OUT/test.npy" >/dev/null
say "PyTorch reference"
"$PYTHON" "$TORCH_REF" --train "$TRAIN" --test "$TEST" --size "${SIZE:-28}" --channels "$CHANNELS" --epochs "$EPOCHS" --pairs "$PAIRS" \
	--batch "$BATCH" --threads "$THREADS" --seed "$SEED" >"$OUT/torch.json" 2>"$OUT/torch.log" ||
	{ say "the PyTorch reference failed: see $OUT/torch.log"; exit 1; }

"$PYTHON" - "$OUT" "$TORCH_REF" "$TEST" "$SEED" <<'PY'
import importlib.util, json, os, sys
import numpy as np
d, ref, test, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
tr = json.load(open(os.path.join(d, "train.json")))
ev = json.load(open(os.path.join(d, "eval.json")))
to = json.load(open(os.path.join(d, "torch.json")))
rss = max(float(open(os.path.join(d, f)).read()) for f in ("train.rss", "eval.rss"))

def on_reference_pairs():
    """siamese's accuracy at the best threshold on the reference's test pairs:
    its labels (classes sorted, files sorted), its make_pairs with the seed
    it uses (seed + 1000), its distance and threshold rule; None when the
    reference script has no make_pairs to draw them with, or siamese did not
    embed every test image the reference reads."""
    spec = importlib.util.spec_from_file_location("torch_reference", ref)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    if not hasattr(m, "make_pairs") or not hasattr(m, "EXTS"):
        return None
    row = {}
    for k, line in enumerate(open(os.path.join(d, "test.npy.paths.txt"))):
        row[os.path.relpath(os.path.abspath(line.split("\t")[0]), os.path.abspath(test))] = k
    keys, labels = [], []
    classes = sorted(c for c in os.listdir(test) if os.path.isdir(os.path.join(test, c)))
    for ci, c in enumerate(classes):
        for f in sorted(os.listdir(os.path.join(test, c))):
            if f.lower().endswith(m.EXTS):
                keys.append(os.path.join(c, f))
                labels.append(ci)
    if any(k not in row for k in keys):
        return None  # an image the reference reads that siamese skipped
    e = np.load(os.path.join(d, "test.npy"))[[row[k] for k in keys]].astype(np.float64)
    tp = m.make_pairs(np.array(labels), 2000, np.random.default_rng(seed + 1000)).numpy()
    dist = np.sqrt(((e[tp[:, 0]] - e[tp[:, 1]]) ** 2).sum(1) + 1e-6)
    y = tp[:, 2]
    return float(max(((dist < t).astype(int) == y).mean() for t in np.unique(dist)))

acc = on_reference_pairs()
rows = [
    ("train pairs/s", tr["pairs_per_s"], to["train_pairs_per_s"]),
    ("eval pairs/s", ev["pairs_per_s"], to["eval_pairs_per_s"]),
    ("peak RSS MiB", rss, to["peak_rss_mib"]),
]
if acc is not None:
    rows.append(("test acc (best thr)", acc, to["test_accuracy_best_threshold"]))
print(f"{'':22}{'siamese':>10}{'pytorch':>10}{'ratio':>8}")
for name, a, b in rows:
    print(f"{name:22}{a:>10.4g}{b:>10.4g}{a / b:>8.2f}")
print(f"{'  on own eval pairs':22}{ev['best_accuracy']:>10.4g}")
note = "" if acc is not None else "; no accuracy on the same pairs: see on_reference_pairs"
print(f"\n(siamese train pairs {tr['pairs']} of {tr['train_images']} images, GEMM kernels {tr.get('gemm_kernels', '?')}, torch {to['train_pairs']}; files in {d}{note})")
PY
echo "$MACHINE"
echo "network: the default tower at ${SIZE:-28} px, $CHANNELS channel(s); train $TRAIN, test $TEST, $PAIRS pairs, batch $BATCH, seed $SEED"
