#!/usr/bin/env bash
# Rebuilds the C SDK's test models from their sources (clang, lld, wasi-libc):
# model.c (Guest ABI v1) and model_v2.c (v2).
set -euo pipefail
cd "$(dirname "$0")"
for name in model model_v2; do
  ${CLANG:-clang} --target=wasm32-wasi --sysroot=${WASI_SYSROOT:-/usr} -O2 -mexec-model=reactor \
    -Wall -Wextra -Werror -Wl,--strip-all -o testdata/$name.wasm testdata/$name.c
  echo "build $(pwd)/testdata/$name.wasm"
done
