// Package onnxtest runs ONNX models in the reference runtime, ONNX Runtime,
// for tests: the yardstick verdict's own ONNX guest runtime is measured
// against, and the reader of the model corpus in examples/onnx.
//
// It is test support, not a part of the product: nothing outside _test.go
// files imports it. ONNX Runtime is the npm package onnxruntime-node
// (pinned by ort/package-lock.json; its CPU library ships inside the
// package), installed once with `npm ci --ignore-scripts` (the install
// script only fetches GPU extras) into the user's cache directory, keyed
// by a hash of the lock file and the runner script, and run by node with
// ort/run.mjs: one process per call, single-threaded.
//
// Without node or npm the helpers skip the test, except under CI=true,
// where they fail it: CI must prove the comparison, not skip it.
//
// The corpus (examples/onnx, built by examples/onnx/build.sh) holds each
// model beside a NAME.json: the rows it was run on (a CSV path) and the
// outputs the training library predicted (scikit-learn, XGBoost,
// PyTorch). Corpus reads them; Compare checks outputs against them.
//
// # Usage
//
//	for _, m := range onnxtest.Corpus(t) {
//		got := onnxtest.RunORT(t, m.Path, m.Rows)
//		if err := onnxtest.Compare(got, m.Outputs, m.Tolerance); err != nil {
//			t.Errorf("%s: %v", m.Name, err)
//		}
//	}
package onnxtest
