#!/usr/bin/env bash
# Rebuilds verdict's ONNX runtime guest (onnx/runtime.wasm, embedded by
# package onnx) and the ONNX test models from their Go sources.
set -euo pipefail
cd "$(dirname "$0")"
GOOS=wasip1 GOARCH=wasm ${GO:-go} build -buildmode=c-shared -trimpath -buildvcs=false -ldflags='-s -w -buildid=' -o ../../onnx/runtime.wasm .
echo "build $(cd ../../onnx && pwd)/runtime.wasm"
${GO:-go} run ./internal/mkmodels ../../onnx/testdata
echo "build $(cd ../../onnx && pwd)/testdata/*.onnx"
mkdir -p ../../cmd/verdict/testdata/onnx
cp ../../onnx/testdata/tree_binary.onnx ../../cmd/verdict/testdata/onnx/tree_binary.onnx
