#!/usr/bin/env bash
# The speed table of issue 11 on another machine, one with Python and
# PyTorch but no Go and no internet (a measuring box): pack everything here,
# carry the folder there, run it there.
#
#   scripts/bench-machine.sh pack DIR      # here: binaries, MNIST IDX, icons, the reference
#   scripts/bench-machine.sh run DIR OUT   # there, from a copy of this tree
#
# run writes OUT/bench.txt (the CPU, scripts/gemm-compare.sh, then
# scripts/bench.sh for each job below) and OUT/{mnist,colour,photos}.pprof,
# one-core CPU profiles of BenchmarkTrainStep, BenchmarkTrainStepColour and
# BenchmarkTrainStepPhotos, to read here with `go tool pprof`, or split into
# GEMM and the work outside it with `go run ./scripts/profsplit OUT/*.pprof`.
#
# Every job runs on 2 cores of its own, as on the 2-core project machine:
# QUEUES=N (default 1) runs N queues of jobs side by side on disjoint pairs of
# cores, one logical CPU per physical core, with the GEMM comparison and the
# profiles on cores of their own. That shortens a visit to a many-core box;
# the jobs share its last-level cache and memory bandwidth, so the caption
# says how many ran at once. PYTHON names the Python with PyTorch (default:
# python3 on the PATH); JOBS="mode seed [VAR=value ...];..." replaces the
# list of bench.sh runs; GEMM=0 leaves out the GEMM part.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'bench-machine: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

pack() {
	local dir=$1 mnist
	mkdir -p "$dir/bin"
	say "building into $dir/bin"
	# -s -w: the symbol tables go, the runtime's function names (which
	# profiles record) stay; the folder must travel in 64 MiB.
	CGO_ENABLED=0 go build -ldflags='-s -w' -o "$dir/bin/siamese" ./cmd/siamese
	CGO_ENABLED=0 go test -c -ldflags='-s -w' -o "$dir/bin/linalg.test" ./internal/linalg
	CGO_ENABLED=0 go test -c -ldflags='-s -w' -o "$dir/bin/network.test" ./internal/network
	tar czf "$dir/bin.tar.gz" -C "$dir" bin && rm -r "$dir/bin"
	mnist=$(scripts/mnist-idx.sh) || die "no MNIST IDX files"
	mkdir -p "$dir/mnist" && cp "$mnist"/*.gz "$dir/mnist/" && chmod u+w "$dir"/mnist/*
	[[ -d data/icons/train ]] || die "no data/icons: run scripts/fetch-openset.sh icons"
	tar czf "$dir/icons.tar.gz" -C data icons
	[[ -f ../shared/bench/torch_reference.py ]] || die "no ../shared/bench/torch_reference.py beside the project"
	cp ../shared/bench/torch_reference.py "$dir/"
	du -sh "$dir" >&2
}

# cores: the allowed logical CPUs, the first of each physical core's
# siblings where the kernel says which are siblings.
cores() {
	"$PYTHON" - <<'PY'
import os
seen, out = set(), []
for c in sorted(os.sched_getaffinity(0)):
    try:
        sib = open(f"/sys/devices/system/cpu/cpu{c}/topology/thread_siblings_list").read().strip()
    except OSError:
        sib = str(c)
    if sib not in seen:
        seen.add(sib)
        out.append(str(c))
print(" ".join(out))
PY
}

# pinned CPUS CMD...: CMD on the logical CPUs CPUS (comma-separated), which
# Go's runtime reads for GOMAXPROCS and PyTorch is told by --threads.
pinned() {
	local cpus=$1
	shift
	"$PYTHON" -c 'import os, sys; os.sched_setaffinity(0, {int(c) for c in sys.argv[1].split(",")}); os.execvp(sys.argv[2], sys.argv[2:])' "$cpus" "$@"
}

# queue Q CPUS: jobs Q, Q+queues, ... on CPUS, into $out/jobQ.txt.
queue() {
	local q=$1 cpus=$2 i mode seed vars
	for ((i = q; i < ${#jobs[@]}; i += queues)); do
		read -r mode seed vars <<<"${jobs[i]}"
		echo "== bench.sh ${jobs[i]} (cores $cpus)"
		# OUT: each run's own folder (the caller's OUT is where this script's results go).
		# shellcheck disable=SC2086 # vars: words on purpose
		pinned "$cpus" env SEED="$seed" $vars OUT="$(mktemp -d)" BIN="$work/bin/siamese" PYTHON="$PYTHON" \
			TORCH_REF="$work/torch_reference.py" scripts/bench.sh "$mode" 2>&1 || echo "(exit $?)"
	done >"$out/job$q.txt"
}

# gemm CPUS: which kernel set Gemm picks here and why (its timings), each
# set on the network's shapes, then scripts/gemm-compare.sh; into
# $out/gemm.txt.
gemm() {
	{
		echo "== kernel sets (cores $1)"
		(cd internal/linalg && pinned "$1" "$work/bin/linalg.test" -test.run 'TestKernelSetsOnThisMachine$' -test.v 2>&1 | grep -E 'ms on|Gemm uses')
		(cd internal/linalg && pinned "$1" "$work/bin/linalg.test" -test.run '^$' -test.bench 'Gemm$' -test.benchtime 0.1s 2>&1 |
			awk '/^BenchmarkGemm\// { sub(/^BenchmarkGemm\//, "", $1); sub(/-[0-9]+$/, "", $1); print $1, $(NF-1), "GFLOP/s" }')
		echo "== gemm-compare (cores $1)"
		pinned "$1" env LINALG_TEST="$work/bin/linalg.test" PYTHON="$PYTHON" COUNT=3 BENCHTIME=0.2s scripts/gemm-compare.sh 2>&1
	} >"$out/gemm.txt"
}

# profiles CPU: one-core step profiles into $out/*.pprof.
profiles() {
	local b name bench n
	(
		cd internal/network
		for b in mnist:TrainStep:300x colour:TrainStepColour:100x photos:TrainStepPhotos:50x; do
			IFS=: read -r name bench n <<<"$b"
			echo "== profile $bench (core $1)"
			pinned "$1" "$work/bin/network.test" -test.run '^$' -test.bench "$bench\$" -test.benchtime "$n" \
				-test.cpu 1 -test.cpuprofile "$out/$name.pprof"
		done
	) >"$out/profiles.txt" 2>&1
}

run() {
	local pack=$1
	out=$2
	PYTHON=${PYTHON:-$(command -v python3 || true)}
	[[ -n $PYTHON ]] || die "no python3 on the PATH: set PYTHON to the Python with PyTorch"
	[[ -f $pack/bin.tar.gz ]] || die "$pack: no bin.tar.gz; make it with scripts/bench-machine.sh pack $pack where Go is"
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	work=$(mktemp -d)
	tar xzf "$pack/bin.tar.gz" -C "$work"
	cp "$pack/torch_reference.py" "$work/"
	mkdir -p data
	[[ -d data/icons/train ]] || tar xzf "$pack/icons.tar.gz" -C data
	local log=$out/bench.txt
	read -r -a cpu <<<"$(cores)"
	local percore=${cpu[*]}
	queues=${QUEUES:-1}
	local serial=0
	((${#cpu[@]} >= 2 * queues + 3)) || queues=$(((${#cpu[@]} - 3) / 2))
	if ((queues < 1)); then
		# Too few cores for queues side by side: one after the other on two.
		((${#cpu[@]} >= 2)) || die "needs 2 cores; this machine offers ${#cpu[@]}"
		queues=1 serial=1
		cpu+=("${cpu[0]}" "${cpu[1]}" "${cpu[0]}")
	fi
	{
		echo "== machine"
		grep -m1 '^model name' /proc/cpuinfo || true
		lscpu 2>/dev/null | grep -E '^(Thread|Core|Socket|L1d|L2|L3|NUMA node\(s\))' || true
		echo "one logical CPU per physical core: $percore"
		echo "logical CPUs $(nproc --all); $queues job queue(s) side by side, each on 2 physical cores"
		grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512_bf16|amx_tile|fma)$' | tr '\n' ' '
		echo
		"$PYTHON" -c 'import torch; print("torch", torch.__version__)'
	} >"$log" 2>&1
	say "importing MNIST"
	local part
	for part in train:train t10k:test; do
		[[ -f data/mnist/${part##*:}/.imported ]] ||
			"$work/bin/siamese" import idx --images "$pack/mnist/${part%%:*}-images-idx3-ubyte.gz" \
				--labels "$pack/mnist/${part%%:*}-labels-idx1-ubyte.gz" --out "data/mnist/${part##*:}" >&2 &
	done
	wait
	touch data/mnist/train/.imported data/mnist/test/.imported

	# The jobs, each "mode seed [VAR=value ...]" for scripts/bench.sh
	# (JOBS="spec;spec;..." replaces them); queue q takes jobs q, q+QUEUES, ...
	local jobs=(
		"mnist 1" "colour 1" "photos 1 PAIRS=12800"
		"mnist 2" "colour 2" "photos 2 PAIRS=12800"
		"mnist 3" "colour 3"
		"mnist 1 SIAMESE_KERNELS=avx2" "colour 1 SIAMESE_KERNELS=avx2" "photos 1 PAIRS=12800 SIAMESE_KERNELS=avx2"
		"colour 1 SIZE=96 PAIRS=10000"
	)
	[[ -z ${JOBS:-} ]] || IFS=';' read -r -a jobs <<<"$JOBS"
	local q c=$((2 * queues))
	for ((q = 0; q < queues; q++)); do
		if ((serial)); then queue "$q" "${cpu[2 * q]},${cpu[2 * q + 1]}"; else queue "$q" "${cpu[2 * q]},${cpu[2 * q + 1]}" & fi
	done
	if [[ ${GEMM:-1} == 0 ]]; then
		: # GEMM=0 skips the kernel sets and the GEMM comparison
	elif ((serial)); then
		gemm "${cpu[c]},${cpu[c + 1]}"
	else
		gemm "${cpu[c]},${cpu[c + 1]}" &
	fi
	if ((serial)); then profiles "${cpu[c + 2]}"; else profiles "${cpu[c + 2]}" & fi
	wait
	cat "$out"/gemm.txt "$out"/job*.txt "$out/profiles.txt" >>"$log" 2>/dev/null || true
	rm -f "$out/gemm.txt" "$out"/job*.txt "$out/profiles.txt"
	say "done: $log"
}

case ${1:-} in
pack) [[ $# == 2 ]] || die "usage: scripts/bench-machine.sh pack DIR"; pack "$2" ;;
run) [[ $# == 3 ]] || die "usage: scripts/bench-machine.sh run DIR OUT"; run "$2" "$3" ;;
*) die "usage: scripts/bench-machine.sh pack DIR | run DIR OUT" ;;
esac
