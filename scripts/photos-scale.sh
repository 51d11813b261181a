#!/usr/bin/env bash
# Memory and start-up time of `siamese train --config configs/photos.yaml`
# against the number of images (issue 13): a short run (1 epoch of 2,000
# pairs) on each folder, twice, into a fresh decoded-image cache (cold: every
# JPEG decoded and written to the cache) and then again over the same cache
# (warm: nothing decoded).
#
#   scripts/photos-scale.sh                     # data/photos20k and data/photos200k
#   scripts/photos-scale.sh DIR...              # other folders
#   PAIRS=2000 KEEP=1 scripts/photos-scale.sh   # KEEP=1: keep the caches
#
# Missing data/photos20k and data/photos200k are generated first with
# scripts/make-photos (1,000 classes of 128x128 colour JPEGs).
#
# Per run it prints: peak RSS (/usr/bin/time -v), the seconds from start to
# the "data ..." line (images scanned, decoded or mapped, split) and to the
# end of the first training step (train runs on a pseudo-terminal, and its
# progress bar first shows a loss after that step), the whole run's wall
# time and the training pairs/s. Then the issue's
# goals: peak RSS <= 1.5 GiB at the largest folder, the warm run's first step
# under 10 s, and peak RSS of the smallest and largest folders within 20%.
# "Cold" is the decoded cache, not the OS page cache, which is left alone.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PAIRS=${PAIRS:-2000}
BIN=${BIN:-bin/siamese}
KEEP=${KEEP:-0}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
say() { printf 'photos-scale: %s\n' "$*" >&2; }

dirs=("$@")
if ((${#dirs[@]} == 0)); then
	dirs=(data/photos20k data/photos200k)
	for n in 20000 200000; do
		d=data/photos$((n / 1000))k
		[[ -d $d ]] && continue
		say "generating $d ($n images): go run ./scripts/make-photos -n $n -size 128 -out $d"
		go run ./scripts/make-photos -n "$n" -size 128 -out "$d"
	done
fi

say "building $BIN"
CGO_ENABLED=0 go build -o "$BIN" ./cmd/siamese

# ptyrun.py LOG MARKS CMD...: runs CMD on a pseudo-terminal, so that train
# shows its progress bars, and writes every line or bar update with the
# second it arrived to LOG. The bar's first "loss" appears once the first
# training step is done. MARKS gets: seconds to the "data ..." line, to the
# first step, to the end; and the epoch's pairs/s.
cat >"$OUT/ptyrun.py" <<'PY'
import os, pty, re, subprocess, sys, time
log, marks, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
start = time.time()
m, s = pty.openpty()
p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=s, stderr=s, close_fds=True)
os.close(s)
buf, data, first, text = b"", None, None, []
while True:
    try:
        chunk = os.read(m, 1 << 16)
    except OSError:  # EIO: the terminal closed
        break
    if not chunk:
        break
    t = time.time() - start
    buf += chunk
    if data is None and re.search(rb"(^|[\r\n])data ", buf):
        data = t
    if first is None and re.search(rb"epoch [0-9/]+ loss ", buf):
        first = t
    plain = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", chunk).decode(errors="replace")
    text += [f"{t:8.3f} {piece.strip()}\n" for piece in re.split(r"[\r\n]+", plain) if piece.strip()]
rc = p.wait()
end = time.time() - start
open(log, "w").writelines(text)
ep = re.search(rb"epoch 1/1  train loss .*? (\d+) (?:pairs|images)/s", buf)  # images/s with class batches
if rc != 0 or data is None or first is None or ep is None:
    sys.exit(f"ptyrun: {cmd[0]} exited {rc}; see {log}")
open(marks, "w").write(f"{data:.1f}\t{first:.1f}\t{end:.1f}\t{int(ep.group(1))}\n")
PY

cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
rows=()
for d in "${dirs[@]}"; do
	[[ -d $d ]] || { say "no folder $d"; exit 1; }
	images=$(find "$d" -type f -name '*.jpg' -o -type f -name '*.png' | wc -l)
	cache=$(mktemp -d)
	for run in cold warm; do
		tag=$(basename "$d")-$run
		load=$(cut -d' ' -f1 /proc/loadavg)
		say "$tag: $images images, load average $load"
		/usr/bin/python3 "$OUT/ptyrun.py" "$OUT/$tag.log" "$OUT/$tag.marks" /usr/bin/time -v -o "$OUT/$tag.time" \
			"$BIN" train --config configs/photos.yaml --data "$d" --epochs 1 --pairs-per-epoch "$PAIRS" \
			--cache-dir "$cache" --out "$OUT/$tag.safetensors"
		grep -v '^ *$' "$OUT/$tag.log" | grep -v '|.*|' >&2 || true
		rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$OUT/$tag.time")
		rows+=("$d	$images	$run	$((rss / 1024))	$(cat "$OUT/$tag.marks")	$load")
	done
	[[ $KEEP == 1 ]] && say "cache of $d kept in $cache" || rm -rf "$cache"
done

printf '\nphotos preset, 1 epoch of %s pairs, batch 64; cpu: %s, %s cores\n' "$PAIRS" "${cpu:-unknown}" "$(nproc)"
printf '%s\n' "${rows[@]}" >"$OUT/rows.tsv"
/usr/bin/python3 - "$OUT/rows.tsv" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
print("| folder | images | cache | peak RSS MiB | data line s | first step s | wall s | train pairs/s (images/s with class batches) | load avg |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
rss = {(r[0], r[2]): float(r[3]) for r in rows}
first = {(r[0], r[2]): float(r[5]) for r in rows}
dirs = list(dict.fromkeys(r[0] for r in rows))
small, big = dirs[0], dirs[-1]
ok = lambda b: "yes" if b else "NO"
peak = max(rss[(big, c)] for c in ("cold", "warm"))
warm = first[(big, "warm")]
print(f"\npeak RSS at {big}: {peak:.0f} MiB <= 1536: {ok(peak <= 1536)}")
print(f"warm first step at {big}: {warm:.1f} s < 10: {ok(warm < 10)}")
for c in ("cold", "warm"):
    a, b = rss[(small, c)], rss[(big, c)]
    print(f"{c}: peak RSS {big} / {small} = {b / a:.2f} (within 20%: {ok(abs(b / a - 1) < 0.2)})")
PY
say "logs in $OUT"
