package graph

import "errors"

// Sentinels matched with errors.Is; messages name the cause.
var (
	// ErrDecode: the bytes are not an ONNX ModelProto.
	ErrDecode = errors.New("onnx: not an ONNX model")
	// ErrUnsupported: an operator, opset or domain verdict does not run.
	ErrUnsupported = errors.New("onnx: unsupported")
	// ErrInvalid: a graph that is not well formed (cycles, missing inputs,
	// bogus shapes, tensors whose data does not match their shape).
	ErrInvalid = errors.New("onnx: invalid model")
	// ErrLimit: a graph beyond verdict's bounds (nodes, tensor elements).
	ErrLimit = errors.New("onnx: limit exceeded")
	// ErrMapping: the graph's inputs or outputs do not fit the task.
	ErrMapping = errors.New("onnx: model does not fit the task")
	// ErrRun: an operator failed on the data.
	ErrRun = errors.New("onnx: run")
)
