#!/usr/bin/env bash
# Our GEMM against OpenBLAS's sgemm (through PyTorch) on the network's own
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
BENCHTIME=${BENCHTIME:-0.3s}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

printf 'cpu: %s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
go test -run x -bench 'GemmPublic' -benchtime "$BENCHTIME" -count "$COUNT" ./internal/linalg >"$tmp"

# Some images set OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE for an older core;
# both must go together for OpenBLAS to pick the current kernel.
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 - "$tmp" "$COUNT" <<'PY'
import re, statistics, sys, time
import torch

# name: transA, transB, m, n, k, beta, as in internal/linalg/bench_test.go
SHAPES = {}
src = open("internal/linalg/bench_test.go").read()
for name, ta, tb, m, n, k, beta in re.findall(
        r'\{"([\w-]+)", (true|false), (true|false), ([\d* ]+), ([\d* ]+), ([\d* ]+), ([\d.]+)\}', src):
    SHAPES[name] = (ta == "true", tb == "true", eval(m), eval(n), eval(k), float(beta))

ours = {}
for line in open(sys.argv[1]):
    m = re.match(r'BenchmarkGemmPublic/([\w-]+)-\d+\s.*?([\d.]+) GFLOP/s', line)
    if m:
        ours.setdefault(m.group(1), []).append(float(m.group(2)))
count = int(sys.argv[2])

def torch_gflops(ta, tb, m, n, k, beta, threads):
    torch.set_num_threads(threads)
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
    return statistics.median(runs)

import os
print(f"torch {torch.__version__}, {os.cpu_count()} CPUs; medians of {count} runs")
print(f"{'shape (M N K)':<42} {'siamese':>9} {'torch 1t':>9} {'ratio':>6} {'torch 2t':>9}")
for name, (ta, tb, m, n, k, beta) in SHAPES.items():
    if name not in ours:
        continue
    us = statistics.median(ours[name])
    t1 = torch_gflops(ta, tb, m, n, k, beta, 1)
    t2 = torch_gflops(ta, tb, m, n, k, beta, 2)
    label = f"{name} ({m} {n} {k}{' tA' if ta else ''}{' tB' if tb else ''})"
    print(f"{label:<42} {us:9.1f} {t1:9.1f} {us / t1:6.2f} {t2:9.1f}")
print("GFLOP/s; ratio = siamese / torch on 1 thread")
PY
