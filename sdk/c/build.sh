#!/usr/bin/env bash
# Rebuilds the C SDK's test model from its source (clang, lld, wasi-libc).
set -euo pipefail
cd "$(dirname "$0")"
${CLANG:-clang} --target=wasm32-wasi --sysroot=${WASI_SYSROOT:-/usr} -O2 -mexec-model=reactor \
  -Wall -Wextra -Werror -Wl,--strip-all -o testdata/model.wasm testdata/model.c
echo "build $(pwd)/testdata/model.wasm"
