#!/usr/bin/env bash
# Load test of `siamese serve`: builds the binary and the load generator,
# trains a small model on the built-in sample unless one is given, starts
# the server on a loopback port, sends compare requests at 1, 8 and 32
# concurrent clients, and stops the server.
#
#   scripts/loadtest.sh [MODEL]
#   CLIENTS=1,8,32 REQUESTS=5000 DURATION=10s PORT=18080 scripts/loadtest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-}
if [ -n "$model" ] && [ ! -f "$model" ]; then
	echo "loadtest: no model file $model" >&2
	exit 2
fi
work=$(mktemp -d)
server=
cleanup() {
	if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/siamese" ./cmd/siamese
go build -o "$work/loadtest" ./scripts/loadtest

if [ -z "$model" ]; then
	model=$work/model.safetensors
	echo "training a small model on the built-in sample (default tower, 1 epoch of 2000 pairs)"
	"$work/siamese" train --epochs 1 --pairs-per-epoch 2000 --out "$model" >/dev/null
fi

port=${PORT:-18080}
"$work/siamese" serve --model "$model" --addr "127.0.0.1:$port" 2>"$work/serve.log" &
server=$!
up=
for _ in $(seq 100); do
	curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && { up=1; break; }
	# A server that exited will not come up: say why at once.
	kill -0 "$server" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$up" ]; then
	echo "loadtest: the server did not start: $(tail -n 1 "$work/serve.log")" >&2
	exit 1
fi

echo "$(nproc) cores, $(go env GOOS)/$(go env GOARCH), model $model"
"$work/loadtest" -url "http://127.0.0.1:$port" \
	-a internal/builtin/fashion/Bag/00000.png -b internal/builtin/fashion/Bag/00001.png \
	-clients "${CLIENTS:-1,8,32}" -requests "${REQUESTS:-5000}" -duration "${DURATION:-10s}"
curl -fs "http://127.0.0.1:$port/metrics" | grep -E '^siamese_batch_images_(sum|count)' || true
