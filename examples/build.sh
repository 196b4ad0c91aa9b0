#!/bin/sh
# build.sh rebuilds every example model.wasm from its checked-in source.
# Run from anywhere; `make wasm` calls it. Needs Go 1.24+ and, for the C
# model, clang with a wasm32-wasi target and wasi-libc (Debian: clang,
# lld, wasi-libc; override the sysroot with WASI_SYSROOT), and for the Rust
# model Debian's rustc (rustc, libstd-rust-dev-wasm32; RUSTC overrides
# /usr/bin/rustc, which is used by default rather than a rustup toolchain
# earlier on PATH, so every machine builds the same bytes).
#
# The builds are reproducible (-trimpath -buildvcs=false), so rebuilding
# with the same toolchain leaves the checked-in modules byte-identical.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
bc="$here/breast-cancer"
GO=${GO:-go}
CLANG=${CLANG:-clang}
WASI_SYSROOT=${WASI_SYSROOT:-/usr}

for dir in go-logreg off-by-one memorizer; do
	echo "build $bc/$dir/model.wasm"
	(cd "$bc/$dir" && GOOS=wasip1 GOARCH=wasm "$GO" build -buildmode=c-shared \
		-trimpath -buildvcs=false -ldflags='-s -buildid=' -o model.wasm .)
done

echo "build $bc/c-model/model.wasm"
"$CLANG" --target=wasm32-wasi --sysroot="$WASI_SYSROOT" -O2 -mexec-model=reactor \
	-Wall -Wextra -Werror -Wl,--strip-all \
	-o "$bc/c-model/model.wasm" "$bc/c-model/model.c"

echo "build $bc/rust-model/model.wasm"
RUSTC=${RUSTC:-/usr/bin/rustc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rflags="--edition 2021 --target wasm32-unknown-unknown -C opt-level=2 -C panic=abort --remap-path-prefix=$here=examples"
"$RUSTC" $rflags --crate-type rlib --crate-name verdict -o "$tmp/libverdict.rlib" "$here/../sdk/rust/src/lib.rs"
"$RUSTC" $rflags --crate-type cdylib -C strip=symbols --extern verdict="$tmp/libverdict.rlib" \
	-o "$bc/rust-model/model.wasm" "$bc/rust-model/model.rs"
chmod -x "$bc/rust-model/model.wasm"
