#!/usr/bin/env bash
# The open-set table of docs/RESULTS.md: for each class-disjoint benchmark of
# scripts/fetch-openset.sh, trains siamese with configs/oneshot.yaml for a
# fixed time on the training classes and the PyTorch reference for a fixed
# number of pairs, then measures N-way one-shot accuracy (1,000 trials, 95%
# interval) on the unseen test classes.
#
#   scripts/openset.sh                        # all four sets (about 45 minutes on 2 cores)
#   SETS="glyphs icons" BUDGET=10m scripts/openset.sh
#
# The reference is ../shared/bench/torch_reference.py (Debian's python3-torch);
# TORCH_REF=path/to/it points elsewhere, TORCH_REF=none skips it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SETS=${SETS:-glyphs icons mnist-open fashion-open}
OUT=${OUT:-results/openset}
TORCH_REF=${TORCH_REF:-../shared/bench/torch_reference.py}
REF_EPOCHS=${REF_EPOCHS:-5}   # × 20,000 pairs
# Checked before any work, which takes minutes a set.
for set in $SETS; do
	case $set in
	glyphs | icons | mnist-open | fashion-open) ;;
	*) printf 'openset: unknown set %q in SETS (want some of: glyphs icons mnist-open fashion-open)\n' "$set" >&2; exit 2 ;;
	esac
done
for v in BUDGET BUDGET_SMALL; do
	[[ -z ${!v:-} || ${!v} =~ ^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$ ]] || { printf 'openset: %s=%q, want a duration such as 90s, 10m or 1h\n' "$v" "${!v}" >&2; exit 2; }
done
[[ $REF_EPOCHS =~ ^[1-9][0-9]*$ ]] || { printf 'openset: REF_EPOCHS=%q, want a whole number of at least 1\n' "$REF_EPOCHS" >&2; exit 2; }
if [[ $TORCH_REF != none && ! -f $TORCH_REF ]]; then
	echo "openset: no PyTorch reference at $TORCH_REF; set TORCH_REF=path/to/torch_reference.py, or TORCH_REF=none" >&2
	exit 1
fi
mkdir -p "$OUT"
CGO_ENABLED=0 go build -o bin/siamese ./cmd/siamese

budget() { # the siamese training time per set
	case $1 in
	glyphs | icons) echo "${BUDGET:-10m}" ;;
	*) echo "${BUDGET_SMALL:-3m}" ;;
	esac
}
ways() { # the one-shot tests: 4 unseen classes in the MNIST/Fashion splits
	case $1 in
	glyphs | icons) echo "10 20" ;;
	*) echo "4" ;;
	esac
}
shape() { # --size and --channels of the reference
	case $1 in
	glyphs) echo "32 1" ;;
	icons) echo "48 3" ;;
	*) echo "28 1" ;;
	esac
}

for set in $SETS; do
	[[ -d data/$set/test ]] || scripts/fetch-openset.sh "${set%-open}"
	w=$(ways "$set")
	echo "openset: $set: siamese for $(budget "$set")" >&2
	bin/siamese train --config configs/oneshot.yaml --data "data/$set/train" --test-split 0 \
		--time-budget "$(budget "$set")" --out "$OUT/$set.safetensors" --json >"$OUT/$set.train.json" 2>"$OUT/$set.train.log" ||
		{ printf 'openset: %s: training failed: %s (log: %s)\n' "$set" "$(tail -n 1 "$OUT/$set.train.log")" "$OUT/$set.train.log" >&2; exit 1; }
	bin/siamese eval --model "$OUT/$set.safetensors" --data "data/$set/test" --one-shot "${w// /,}" \
		--trials 1000 --pairs 4000 --plot "$OUT/$set-plots" --json >"$OUT/$set.eval.json" 2>"$OUT/$set.eval.log" ||
		{ printf 'openset: %s: eval failed: %s\n' "$set" "$(tail -n 1 "$OUT/$set.eval.log")" >&2; exit 1; }
	if [[ $TORCH_REF != none ]]; then
		read -r size channels <<<"$(shape "$set")"
		for way in $w; do
			echo "openset: $set: PyTorch reference, $way-way" >&2
			/usr/bin/python3 "$TORCH_REF" --train "data/$set/train" --test "data/$set/test" --size "$size" \
				--channels "$channels" --epochs "$REF_EPOCHS" --pairs 20000 --one-shot "$way" --trials 1000 \
				>"$OUT/$set.torch$way.json"
		done
	fi
done

/usr/bin/env python3 - "$OUT" $SETS <<'PY'
import json, math, os, sys
out, sets = sys.argv[1], sys.argv[2:]

def wilson(p, n, z=1.96):
    """The 95% Wilson score interval, as siamese eval reports it (internal/pairs)."""
    d, c = 1 + z * z / n, p + z * z / (2 * n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0, (c - h) / d), min(1, (c + h) / d)

print("| benchmark | unseen classes | way | siamese (oneshot.yaml) | training | PyTorch reference | training |")
print("|---|---|---|---|---|---|---|")
for s in sets:
    t = json.load(open(f"{out}/{s}.train.json")); e = json.load(open(f"{out}/{s}.eval.json"))
    for o in e["one_shot"]:
        ref, rt = "not run", ""
        p = f"{out}/{s}.torch{o['way']}.json"
        if os.path.exists(p):
            r = json.load(open(p)); a = r["one_shot_accuracy"]
            lo, hi = wilson(a, 1000)
            ref = f"{a:.3f} [{lo:.3f}, {hi:.3f}]"
            rt = f"{r['train_seconds'] / 60:.1f} min, {r['train_pairs']:,} pairs"
        print(f"| {s} | {e['unseen_classes']} | {o['way']} | {o['accuracy']:.3f} [{o['ci95_low']:.3f}, {o['ci95_high']:.3f}] "
              f"| {t['train_seconds'] / 60:.1f} min, {t['pairs']:,} images | {ref} | {rt} |")
PY
