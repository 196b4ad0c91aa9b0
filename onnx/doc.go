// Package onnx turns an ONNX model into a verdict submission: a
// self-contained WebAssembly module, verdict's fixed ONNX runtime
// (runtime.wasm, built from guests/onnx by `make wasm`) with the model's
// bytes appended as the custom section sandbox.ModelSection.
//
//	model.onnx -> onnx.Pack -> model.wasm -> sandbox (strips the section,
//	compiles the runtime once, hands the model to each instance) -> predictions
//
// The packed module's SHA-256 is what credentials, the leaderboard and
// the marketplace name, so two submissions of the same model dedupe, and
// every ONNX submission shares one compilation of the runtime.
//
// Inspect decodes the parts of an ONNX ModelProto a host needs before
// running anything (opsets, operators, the graph's inputs and outputs)
// with a bounded protobuf walker: the bytes are untrusted, and the full
// decode happens inside the sandbox, in the guest. The package never runs
// a model and imports no other verdict package.
//
// # Usage
//
//	info, err := onnx.Inspect(model)
//	if err != nil { ... }                        // e.g. onnx: invalid model: ...
//	if err := info.CheckFeatures(task.Features); err != nil { ... }
//	wasm, err := onnx.Pack(model)               // submit wasm like any module
package onnx
