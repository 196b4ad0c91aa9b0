#!/bin/sh
# build.sh rebuilds the ONNX model corpus (*.onnx, their *.json reference
# outputs and digits_test.csv) from build.py. Run from anywhere; `make onnx`
# calls it. Needs Debian's Python with Debian's packages (python3-torch,
# python3-onnx, python3-sklearn, python3-xgboost, python3-numpy): PYTHON
# overrides /usr/bin/python3, which is used by default rather than a
# pyenv or venv python3 earlier on PATH, so every machine uses the same
# library versions. OUT=DIR writes the corpus to DIR instead.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONHASHSEED=0 \
	"$PYTHON" "$here/build.py" "${OUT:-$here}"
