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
# Checked before any work: each arm trains for the whole budget.
[[ $BUDGET =~ ^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$ ]] || { printf 'photos-icons: BUDGET=%q, want a duration such as 90s, 10m or 1h\n' "$BUDGET" >&2; exit 2; }
[[ -n ${ARMS// /} ]] || { echo "photos-icons: ARMS is empty (want some of: preset pairs reference)" >&2; exit 2; }
for arm in $ARMS; do
	case $arm in
	preset | pairs | reference) ;;
	*) printf 'photos-icons: unknown arm %q in ARMS (want some of: preset pairs reference)\n' "$arm" >&2; exit 2 ;;
	esac
done
[[ ${SEED:-1} =~ ^[0-9]+$ ]] || { printf 'photos-icons: SEED=%q, want a whole number\n' "$SEED" >&2; exit 2; }
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
	esac
}

pids=()
for arm in $ARMS; do
	# shellcheck disable=SC2046 # the flags are words
	/usr/bin/time -f '%U %S %e' -o "$OUT/$arm.time" bin/siamese train $(flags "$arm") --data "$DATA/train" \
		--size 48 --test-split 0 --time-budget "$BUDGET" --seed "${SEED:-1}" \
		--out "$OUT/$arm.safetensors" --json >"$OUT/$arm.train.json" 2>"$OUT/$arm.train.log" &
	pids+=($!)
done
# Each arm's own status: a bare wait returns 0 whatever they did.
failed=0
for i in "${!pids[@]}"; do
	arm=$(echo $ARMS | cut -d' ' -f$((i + 1)))
	wait "${pids[$i]}" || { printf 'photos-icons: arm %s failed: %s (log: %s)\n' "$arm" "$(tail -n 1 "$OUT/$arm.train.log")" "$OUT/$arm.train.log" >&2; failed=1; }
done
((failed == 0)) || exit 1
for arm in $ARMS; do
	bin/siamese eval --model "$OUT/$arm.safetensors" --data "$DATA/test" --one-shot 5,10,20 \
		--trials 1000 --pairs 4000 --json >"$OUT/$arm.eval.json" 2>"$OUT/$arm.eval.log" ||
		{ printf 'photos-icons: eval of arm %s failed: %s\n' "$arm" "$(tail -n 1 "$OUT/$arm.eval.log")" >&2; exit 1; }
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
