#!/usr/bin/env bash
# Reproduces docs/RESULTS.md: trains on the official MNIST and Fashion-MNIST
# training sets with the presets in configs/, then measures on 4,000
# balanced pairs of the official test sets at the threshold chosen on
# validation pairs, plus 10-way one-shot trials.
#
#   scripts/results.sh              # both data sets (about 22 minutes on 2 cores)
#   SETS=mnist scripts/results.sh   # one of them
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SETS=${SETS:-mnist fashion}
OUT=${OUT:-results}
for set in $SETS; do
	case $set in
	mnist | fashion) ;;
	*) printf 'results: unknown set %q in SETS (want mnist, fashion or both)\n' "$set" >&2; exit 2 ;;
	esac
done
mkdir -p "$OUT"
[[ -d data/mnist/test && -d data/fashion/test ]] || scripts/fetch-data.sh
CGO_ENABLED=0 go build -o bin/siamese ./cmd/siamese

for set in $SETS; do
	echo "results: training on data/$set/train with configs/$set.yaml" >&2
	bin/siamese train --config "configs/$set.yaml" --data "data/$set/train" --out "$OUT/$set.safetensors" \
		--json >"$OUT/$set.train.json" 2>"$OUT/$set.train.log" ||
		{ printf 'results: %s: training failed: %s (log: %s)\n' "$set" "$(tail -n 1 "$OUT/$set.train.log")" "$OUT/$set.train.log" >&2; exit 1; }
	echo "results: evaluating on data/$set/test" >&2
	bin/siamese eval --model "$OUT/$set.safetensors" --data "data/$set/test" --pairs 4000 --one-shot 10 \
		--plot "$OUT/$set-plots" --json >"$OUT/$set.eval.json"
done

/usr/bin/env python3 - "$OUT" $SETS <<'PY'
import json, sys
out, sets = sys.argv[1], sys.argv[2:]
print("| data set | test accuracy | AUC | EER | 10-way one-shot | training | pairs | pairs/s |")
print("|---|---|---|---|---|---|---|---|")
for s in sets:
    t = json.load(open(f"{out}/{s}.train.json")); e = json.load(open(f"{out}/{s}.eval.json"))
    print(f"| {s} | {e['accuracy']:.4f} | {e['auc']:.4f} | {e['eer']:.4f} | {e['one_shot_accuracy']:.3f} "
          f"| {t['train_seconds'] / 60:.1f} min | {t['pairs']:,} | {t['pairs_per_s']:.0f} |")
PY
