package onnx

import "errors"

var (
	// ErrInvalid: the bytes are not a well-formed ONNX model.
	ErrInvalid = errors.New("onnx: invalid model")
	// ErrLimit: the model exceeds a bound (MaxModelBytes, MaxNodes, ...).
	ErrLimit = errors.New("onnx: limit exceeded")
	// ErrMapping: the model's input or outputs do not fit the task.
	ErrMapping = errors.New("onnx: model does not fit the task")
)

func isLimit(err error) bool   { return errors.Is(err, ErrLimit) }
func isInvalid(err error) bool { return errors.Is(err, ErrInvalid) || errors.Is(err, ErrMapping) }
