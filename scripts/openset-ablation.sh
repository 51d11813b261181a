#!/usr/bin/env bash
# What each open-set technique is worth: trains variants on the training
# classes of one open-set benchmark (scripts/fetch-openset.sh) at equal work
# (the same number of tower passes: 60,000 images) and measures 10- and
# 20-way one-shot accuracy on the unseen test classes.
#
#   scripts/openset-ablation.sh            # glyphs (about 15 minutes on 2 cores)
#   SET=icons scripts/openset-ablation.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SET=${SET:-glyphs}
OUT=${OUT:-results/ablation-$SET}
PASSES=${PASSES:-60000}
case $SET in
glyphs | icons | mnist-open | fashion-open) ;;
*) printf 'ablation: unknown SET=%q (want glyphs, icons, mnist-open or fashion-open)\n' "$SET" >&2; exit 2 ;;
esac
# At least one pair an epoch: PASSES / 6 pairs of 3 epochs.
[[ $PASSES =~ ^[0-9]+$ ]] && ((10#$PASSES >= 6)) || { printf 'ablation: PASSES=%q, want a whole number of at least 6\n' "$PASSES" >&2; exit 2; }
PASSES=$((10#$PASSES))
mkdir -p "$OUT"
[[ -d data/$SET/test ]] || scripts/fetch-openset.sh "$SET"
CGO_ENABLED=0 go build -o bin/siamese ./cmd/siamese

# The reference tower, as ../shared/bench/torch_reference.py trains it.
cat >"$OUT/reference.yaml" <<'YAML'
layers:
  - {kind: conv, filters: 32, kernel: 3}
  - {kind: relu}
  - {kind: maxpool, size: 2}
  - {kind: conv, filters: 64, kernel: 3}
  - {kind: relu}
  - {kind: maxpool, size: 2}
  - {kind: dense, units: 128}
YAML
# The preset's tower with every other setting plain.
sed -n '/^layers:/,/^$/p' configs/oneshot.yaml >"$OUT/conv4.yaml"

pairs=$((PASSES / 2 / 3))   # a pair costs two tower passes; 3 epochs
images=$((PASSES / 3))
common=(--data "data/$SET/train" --split classes --select-by one-shot --patience 0 --epochs 3 --seed 1)
plain=(--batches pairs --pairs-per-epoch "$pairs" --loss contrastive --margin 1)
batch=(--batches classes --batch-size 64 --images-per-class 4 --pairs-per-epoch "$images")
affine=(--augment --augment-shift 2 --augment-rotate 10 --augment-scale 0.1 --augment-shear 10 --augment-brightness 0)

run() { # name, flags...
	local name=$1
	shift
	echo "ablation: $name" >&2
	bin/siamese train "${common[@]}" "$@" --out "$OUT/$name.safetensors" --json >"$OUT/$name.train.json" 2>"$OUT/$name.train.log" ||
		{ printf 'ablation: %s: training failed: %s (log: %s)\n' "$name" "$(tail -n 1 "$OUT/$name.train.log")" "$OUT/$name.train.log" >&2; exit 1; }
	bin/siamese eval --model "$OUT/$name.safetensors" --data "data/$SET/test" --one-shot 10,20 --trials 1000 \
		--json >"$OUT/$name.eval.json" 2>"$OUT/$name.eval.log" ||
		{ printf 'ablation: %s: eval failed: %s\n' "$name" "$(tail -n 1 "$OUT/$name.eval.log")" >&2; exit 1; }
}
run reference-pairs --config "$OUT/reference.yaml" "${plain[@]}"
run conv4-pairs --config "$OUT/conv4.yaml" "${plain[@]}"
run conv4-batch-contrastive --config "$OUT/conv4.yaml" "${batch[@]}" --loss contrastive --margin 1
run conv4-batch-triplet --config "$OUT/conv4.yaml" "${batch[@]}" --loss triplet --margin 0.5
run conv4-batch-ntxent --config "$OUT/conv4.yaml" "${batch[@]}" --loss ntxent --temperature 0.1
run conv4-batch-ntxent-affine --config "$OUT/conv4.yaml" "${batch[@]}" --loss ntxent --temperature 0.1 "${affine[@]}"

/usr/bin/env python3 - "$OUT" <<'PY'
import json, sys, glob, os
out = sys.argv[1]
print("| variant | 10-way one-shot | 20-way one-shot | pair accuracy (AUC) | training s | tower passes |")
print("|---|---|---|---|---|---|")
for name in ["reference-pairs", "conv4-pairs", "conv4-batch-contrastive", "conv4-batch-triplet",
             "conv4-batch-ntxent", "conv4-batch-ntxent-affine"]:
    t = json.load(open(f"{out}/{name}.train.json")); e = json.load(open(f"{out}/{name}.eval.json"))
    w = {o["way"]: o for o in e["one_shot"]}
    passes = t["pairs"] * (2 if t["batches"] == "pairs" else 1)
    print(f"| {name} | {w[10]['accuracy']:.3f} [{w[10]['ci95_low']:.3f}, {w[10]['ci95_high']:.3f}] "
          f"| {w[20]['accuracy']:.3f} [{w[20]['ci95_low']:.3f}, {w[20]['ci95_high']:.3f}] "
          f"| {e['accuracy']:.3f} ({e['auc']:.3f}) | {t['train_seconds']:.0f} | {passes:,} |")
PY
