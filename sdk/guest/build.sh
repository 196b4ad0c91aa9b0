#!/usr/bin/env bash
# Rebuilds the SDK's test model from its source.
set -euo pipefail
cd "$(dirname "$0")"
GOOS=wasip1 GOARCH=wasm ${GO:-go} build -buildmode=c-shared -trimpath -buildvcs=false -ldflags='-s -buildid=' -o testdata/model.wasm ./testdata/model
echo "build $(pwd)/testdata/model.wasm"
