// Package graph loads and runs an ONNX graph for verdict's ONNX runtime
// guest: gonnx v1.1.0's opset 13 operators, verdict's ONNX-ML operators
// (package ml), and verdict's own Gemm, MatMul, Softmax, Conv and MaxPool,
// which compute each output element in a fixed order so that a row's
// prediction does not depend on the batch it comes in.
//
// It sits inside the guest, between the host's ABI and the operators:
//
//	features (ABI, column-major float64) -> Model.Predict -> graph input [N, ...]
//	-> nodes in order -> first float output -> predictions (ABI)
//
// Load refuses, before anything runs, what it cannot run or bound:
// unsupported operators (each named with its opset), opsets outside 13-17
// (ai.onnx.ml 1-3), graphs of more than MaxNodes nodes, tensors of more
// than MaxTensorElements elements or whose data do not match their shape,
// graphs whose nodes read names not yet defined (cycles), and inputs or
// outputs verdict cannot map to a task. Errors match ErrDecode,
// ErrUnsupported, ErrInvalid, ErrLimit, ErrMapping or ErrRun. It never
// panics on model bytes: operator panics become ErrRun.
//
// # Usage
//
//	m, err := graph.Load(onnxBytes)
//	if err != nil { ... }
//	err = m.Predict(x, rows, cols, y, outs)
package graph
