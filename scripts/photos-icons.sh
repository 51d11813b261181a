#!/usr/bin/env bash
# Issue 13's accuracy check: the photos preset against the reference tower
# (the default network, colour) on the icon-theme set of
# scripts/fetch-openset.sh, at equal training time, scored by N-way
# one-shot accuracy on the 130 icon names never trained on (1,000 trials,
# 95% interval).
#
#   scripts/photos-icons.sh                   # 10 minutes per arm
#   BUDGET=5m ARMS="preset reference" scripts/photos-icons.sh
#
# Arms (all at 48 px, the icons' own size, and --test-split 0: the test
# classes are data/icons/test):
#   preset      configs/photos.yaml as it is (class batches, NT-Xent)
#   pairs       configs/photos.yaml with contrastive pairs and semi-hard mining
#               instead, as the preset was before 2026-11-30
#   reference   the default tower (--layers default), colour
# The arms run at the same time, so they share the machine alike; the table
# says how much CPU each got.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BUDGET=${BUDGET:-10m}
ARMS=${ARMS:-preset pairs reference}
OUT=${OUT:-results/photos-icons}
DATA=${DATA:-data/icons}
if [[ ! -d $DATA/train || ! -d $DATA/test ]]; then
	# Only the default folder is fetched: fetch-openset.sh reads DATA as
	# its own output root, so a user's DATA would get an icons/ inside it.
	[[ $DATA == data/icons ]] || { echo "photos-icons: no $DATA/train and $DATA/test (DATA is a folder with both)" >&2; exit 1; }
	env -u DATA scripts/fetch-openset.sh icons
fi
mkdir -p "$OUT"
CGO_ENABLED=0 go build -o bin/siamese ./cmd/siamese

flags() {
	case $1 in
	preset) echo "--config configs/photos.yaml" ;;
	pairs) echo "--config configs/photos.yaml --batches pairs --loss contrastive --margin 1 --mining semi-hard" ;;
	reference) echo "--channels 3" ;;
	*) echo "photos-icons: unknown arm $1" >&2; exit 2 ;;
	esac
}

for arm in $ARMS; do
	# shellcheck disable=SC2046 # the flags are words
	/usr/bin/time -f '%U %S %e' -o "$OUT/$arm.time" bin/siamese train $(flags "$arm") --data "$DATA/train" \
		--size 48 --test-split 0 --time-budget "$BUDGET" --seed "${SEED:-1}" \
		--out "$OUT/$arm.safetensors" --json >"$OUT/$arm.train.json" 2>"$OUT/$arm.train.log" &
done
wait
for arm in $ARMS; do
	bin/siamese eval --model "$OUT/$arm.safetensors" --data "$DATA/test" --one-shot 5,10,20 \
		--trials 1000 --pairs 4000 --json >"$OUT/$arm.eval.json" 2>/dev/null
done

/usr/bin/env python3 - "$OUT" $ARMS <<'PY'
import json, sys
out, arms = sys.argv[1], sys.argv[2:]
print("| arm | 5-way | 10-way | 20-way | training | CPU s | images |")
print("|---|---|---|---|---|---|---|")
for a in arms:
    t = json.load(open(f"{out}/{a}.train.json")); e = json.load(open(f"{out}/{a}.eval.json"))
    u, s, _ = (float(x) for x in open(f"{out}/{a}.time").read().split())
    acc = {o["way"]: f"{o['accuracy']:.3f} [{o['ci95_low']:.3f}, {o['ci95_high']:.3f}]" for o in e["one_shot"]}
    print(f"| {a} | {acc.get(5, '')} | {acc.get(10, '')} | {acc.get(20, '')} "
          f"| {t['train_seconds'] / 60:.1f} min | {u + s:.0f} | {t['pairs']:,} |")
PY
