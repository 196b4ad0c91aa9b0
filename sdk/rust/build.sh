#!/usr/bin/env bash
# Rebuilds the Rust SDK's test model from its source with Debian's rustc
# (apt-get install rustc libstd-rust-dev-wasm32 lld). RUSTC overrides the
# compiler; the default is /usr/bin/rustc, not whatever rustup put first
# on PATH, so every machine with Debian's packages builds the same bytes.
set -euo pipefail
cd "$(dirname "$0")"
RUSTC=${RUSTC:-/usr/bin/rustc}
flags=(--edition 2021 --target wasm32-unknown-unknown -C opt-level=2 -C panic=abort
	--remap-path-prefix="$PWD=.")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$RUSTC" "${flags[@]}" --crate-type rlib --crate-name verdict -o "$tmp/libverdict.rlib" src/lib.rs
"$RUSTC" "${flags[@]}" --crate-type cdylib -C strip=symbols --extern verdict="$tmp/libverdict.rlib" \
	-o testdata/model.wasm testdata/model.rs
chmod -x testdata/model.wasm
echo "build $(pwd)/testdata/model.wasm"
