#!/bin/sh
# build.sh rebuilds every example model.wasm from its checked-in source.
# Run from anywhere; `make wasm` calls it. Needs Go 1.24+ and, for the C
# model, clang with a wasm32-wasi target and wasi-libc (Debian: clang,
# lld, wasi-libc; override the sysroot with WASI_SYSROOT).
#
# The Go builds are reproducible (-trimpath -buildvcs=false), so rebuilding
# with the same toolchain leaves the checked-in modules byte-identical.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
bc="$here/breast-cancer"
GO=${GO:-go}
CLANG=${CLANG:-clang}
WASI_SYSROOT=${WASI_SYSROOT:-/usr}

for dir in go-logreg broken; do
	echo "build $bc/$dir/model.wasm"
	(cd "$bc/$dir" && GOOS=wasip1 GOARCH=wasm "$GO" build -buildmode=c-shared \
		-trimpath -buildvcs=false -ldflags='-s -buildid=' -o model.wasm .)
done

echo "build $bc/c-model/model.wasm"
"$CLANG" --target=wasm32-wasi --sysroot="$WASI_SYSROOT" -O2 -mexec-model=reactor \
	-Wall -Wextra -Werror -Wl,--strip-all \
	-o "$bc/c-model/model.wasm" "$bc/c-model/model.c"
