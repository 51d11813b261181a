#!/usr/bin/env bash
# Our GEMM against PyTorch's sgemm (OpenBLAS on Debian, MKL in PyPI's wheels) on the network's own
# shapes: the products of one training step of the default tower at batch
# 64 (benchShapes in internal/linalg/bench_test.go), timed in one run on
# this machine. Prints the CPU model, GFLOP/s of each and the ratio.
#
#   scripts/gemm-compare.sh                # COUNT=5 BENCHTIME=0.3s
#
# linalg.Gemm runs on one goroutine (the network parallelises over images),
# so the ratio is taken against PyTorch on 1 thread; PyTorch on 2 threads is
# shown beside it. Needs Debian's python3-torch.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

COUNT=${COUNT:-5}
# Where there is no Go: LINALG_TEST=FILE, the linalg test binary built
# elsewhere (go test -c ./internal/linalg); PYTHON=FILE, the Python with PyTorch.
LINALG_TEST=${LINALG_TEST:-}
PYTHON=${PYTHON:-/usr/bin/python3}
BENCHTIME=${BENCHTIME:-0.3s}
[[ $COUNT =~ ^[1-9][0-9]*$ ]] || { printf 'gemm-compare: COUNT=%s, want a whole number of runs >= 1\n' "$COUNT" >&2; exit 2; }
[[ $BENCHTIME =~ ^[0-9]+(\.[0-9]+)?(s|ms|x)$ ]] || { printf 'gemm-compare: BENCHTIME=%s, want a go test -benchtime such as 0.3s or 100x\n' "$BENCHTIME" >&2; exit 2; }
"$PYTHON" -c 'import torch' 2>/dev/null || { printf 'gemm-compare: PyTorch missing: apt-get install python3-torch\n' >&2; exit 1; }
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.t1" "$tmp.t2"' EXIT

printf 'cpu: %s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
if [[ -n $LINALG_TEST ]]; then
	(cd internal/linalg && "$LINALG_TEST" -test.run '^$' -test.bench 'GemmPublic' -test.benchtime "$BENCHTIME" -test.count "$COUNT") >"$tmp"
else
	go test -run '^$' -bench 'GemmPublic' -benchtime "$BENCHTIME" -count "$COUNT" ./internal/linalg >"$tmp"
fi

# torch.set_num_threads does not reach OpenBLAS, which starts as many
# threads as there are cores unless OPENBLAS_NUM_THREADS says otherwise
# (on this 2-core machine a "1-thread" run through set_num_threads alone
# multiplied at 159 GFLOP/s, 88 with OPENBLAS_NUM_THREADS=1): each thread
# count runs in its own process with both set.
# Some images set OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE for an older core;
# both must go together for OpenBLAS to pick the current kernel.
torch_run() { # threads -> JSON {shape: GFLOP/s} on stdout
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$1" OMP_NUM_THREADS="$1" \
		"$PYTHON" - "$1" "$COUNT" <<'PY'
import json, re, statistics, sys, time
import torch

threads, count = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads)
src = open("internal/linalg/bench_test.go").read()
out = {}
for name, ta, tb, m, n, k, beta in re.findall(
        r'\{"([\w-]+)", (true|false), (true|false), ([\d* ]+), ([\d* ]+), ([\d* ]+), ([\d.]+)\}', src):
    ta, tb, m, n, k, beta = ta == "true", tb == "true", eval(m), eval(n), eval(k), float(beta)
    g = torch.Generator().manual_seed(1)
    a = torch.rand((k, m) if ta else (m, k), generator=g)
    b = torch.rand((n, k) if tb else (k, n), generator=g)
    a = a.t() if ta else a
    b = b.t() if tb else b
    c = torch.zeros(m, n)
    def once():
        if beta:
            c.addmm_(a, b)
        else:
            torch.mm(a, b, out=c)
    for _ in range(20):
        once()
    runs = []
    for _ in range(count):
        reps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < 0.3:
            once()
            reps += 1
        runs.append(2 * m * n * k * reps / (time.perf_counter() - t0) / 1e9)
    out[name] = statistics.median(runs)
# Debian's torch says "generic": the libblas alternative, OpenBLAS there;
# PyPI's wheels say "mkl".
blas = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
blas = {"generic": "the system BLAS (OpenBLAS on Debian)", "mkl": "MKL"}.get(blas.group(1) if blas else "", "an unknown BLAS")
print(json.dumps({"version": torch.__version__, "blas": blas, "gflops": out}))
PY
}
torch_run 1 >"$tmp.t1"
torch_run 2 >"$tmp.t2"

"$PYTHON" - "$tmp" "$COUNT" <<'PY'
import json, re, statistics, sys
base, count = sys.argv[1], int(sys.argv[2])
t1, t2 = json.load(open(base + ".t1")), json.load(open(base + ".t2"))
shapes = {}
src = open("internal/linalg/bench_test.go").read()
for name, ta, tb, m, n, k, beta in re.findall(
        r'\{"([\w-]+)", (true|false), (true|false), ([\d* ]+), ([\d* ]+), ([\d* ]+), ([\d.]+)\}', src):
    shapes[name] = (ta == "true", tb == "true", eval(m), eval(n), eval(k))
ours = {}
for line in open(base):
    m = re.match(r'BenchmarkGemmPublic/([\w-]+)-\d+\s.*?([\d.]+) GFLOP/s', line)
    if m:
        ours.setdefault(m.group(1), []).append(float(m.group(2)))
print(f"torch {t1['version']} with {t1['blas']}; medians of {count} runs")
print(f"{'shape (M N K)':<44} {'siamese':>9} {'torch 1t':>12} {'ratio':>6} {'torch 2t':>12}")
for name, (ta, tb, m, n, k) in shapes.items():
    if name not in ours:
        continue
    us = statistics.median(ours[name])
    a, b = t1["gflops"][name], t2["gflops"][name]
    label = f"{name} ({m} {n} {k}{' tA' if ta else ''}{' tB' if tb else ''})"
    print(f"{label:<44} {us:9.1f} {a:12.1f} {us / a:6.2f} {b:12.1f}")
print("GFLOP/s; ratio = siamese / torch's BLAS on 1 thread (one linalg.Gemm call runs on one goroutine)")
PY
