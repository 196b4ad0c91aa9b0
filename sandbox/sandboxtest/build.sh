#!/bin/sh
# build.sh rebuilds every fixture module in testdata/ from its source:
#   NAME.wat      -> NAME.wasm   (wat2wasm, wabt >= 1.0.32)
#   NAME/main.go  -> NAME.wasm   (Go >= 1.24, GOOS=wasip1 reactor)
#   NAME.c        -> NAME.wasm   (clang + wasi-libc, reactor)
# except NAME ending in _command, built as a WASI command (the mistake the
# sandbox must refuse with a hint).
#   NAME/package.json + NAME/assembly/index.ts -> NAME.wasm
#                                (AssemblyScript, npm; version in package-lock.json)
# Run from anywhere; the lead's Makefile `wasm` target calls it.
set -eu
cd "$(dirname "$0")/testdata"

for src in *.wat; do
	wat2wasm "$src" -o "${src%.wat}.wasm"
done

for dir in */; do
	name=${dir%/}
	[ -f "$name/main.go" ] || continue
	mode=-buildmode=c-shared
	case $name in *_command) mode= ;; esac
	(cd "$name" && GOOS=wasip1 GOARCH=wasm go build $mode \
		-trimpath -buildvcs=false -ldflags='-s -w -buildid=' -o "../$name.wasm" .)
	chmod -x "$name.wasm"
done

for dir in */; do
	name=${dir%/}
	[ -f "$name/package.json" ] || continue
	# AssemblyScript: the compiler version is pinned by package-lock.json.
	(cd "$name" && npm ci --silent --no-audit --no-fund &&
		npx --no-install asc assembly/index.ts --runtime stub -O3 --noAssert \
			--use abort=assembly/index/abort -o "../$name.wasm")
done

for src in *.c; do
	# The benchmark guest is built as a participant tuning for speed would:
	# -O3 and 128-bit SIMD (which wazero compiles to SSE/NEON).
	opt=-O2
	case $src in clinear.c | clinear_v2.c | clogit.c) opt="-O3 -msimd128" ;; esac
	# --sysroot=/usr is where Debian's wasi-libc lives; override with WASI_SYSROOT.
	model=reactor
	case $src in *_command.c) model=command ;; esac
	clang --target=wasm32-wasi --sysroot="${WASI_SYSROOT:-/usr}" $opt \
		-mexec-model=$model -Wl,--strip-all -o "${src%.c}.wasm" "$src"
	chmod -x "${src%.c}.wasm"
done
