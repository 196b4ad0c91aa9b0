// Package scaffold writes a participant's starting point: a model project
// in Go, C, Rust or AssemblyScript that builds on the first try, offline,
// from what the verdict binary carries, or a Python project that trains a
// model and exports it as ONNX (which verdict runs in its ONNX runtime).
//
// It sits before the pipeline, on the participant's machine:
//
//	verdict init model --lang L DIR -> DIR (model source, SDK, Makefile, sample rows)
//	-> make -> model.wasm -> verdict submit -> sandbox -> score
//
// Each project holds the model's source (a logistic regression over the
// sample's three features, to be replaced), verdict's SDK for the language
// copied beside it (Go: sdk/guest in guest/, with a go.mod replace, so no
// go get of an unpublished module; C: verdict.h; Rust: sdk/rust in
// verdict/; AssemblyScript needs none), a Makefile with the exact build
// line and a `try` target that runs the model on sample/rows.csv with the
// verdict CLI, a README with the steps, and a .gitignore.
//
// The Python project (--lang python) holds train.py (scikit-learn: a
// logistic regression written as ONNX with the onnx package's helper API:
// Imputer, Scaler, LinearClassifier), train_torch.py (PyTorch:
// torch.onnx.export) and a Makefile whose default target trains on
// sample/rows.csv and writes model.onnx; it needs Python with numpy,
// scikit-learn, onnx (and torch), Debian's /usr/bin/python3 by default.
//
// The templates are embedded from _template/ (a directory the go tool
// ignores, so its Go files are not packages of this module). The SDK
// copies there are checked against sdk/ by this package's tests; after
// changing an SDK, refresh them with
//
//	go test ./internal/scaffold -run TestSDKCopies -update
//
// A file named go.mod.txt in _template is written as go.mod (a go.mod in
// an embedded directory would make it another module).
//
// The package writes only under the directory it is given, refuses one
// that is not empty and never overwrites a file. It imports nothing of
// the host's.
//
// # Usage
//
//	files, err := scaffold.Write("my-model", "rust")
//	if errors.Is(err, scaffold.ErrUnknownLanguage) { ... } // names the known ones
//	for _, f := range files {
//		fmt.Println(f) // relative paths, slash-separated
//	}
package scaffold
