package graph

import (
	"fmt"
	"slices"
	"strings"

	"github.com/advancedclimatesystems/gonnx/ops"
	"github.com/advancedclimatesystems/gonnx/ops/opset13"
	"github.com/verdictlab/verdict/guests/onnx/ml"
)

// Domains and the opset versions verdict runs. gonnx v1.1.0 implements
// the default domain at opset 13; the operators it has keep the same
// semantics on float tensors through opset 17 (later versions move
// attributes of Split, Reduce* and Pad into inputs, which it lacks).
const (
	DomainDefault = ""
	DomainML      = "ai.onnx.ml"

	MinOpset   = 13
	MaxOpset   = 17
	MinMLOpset = 1
	MaxMLOpset = 3
)

// mlOps are the ai.onnx.ml operators: verdict's own and gonnx's.
var mlOps = map[string]func() ops.Operator{
	"TreeEnsembleRegressor":  ml.NewTreeEnsembleRegressor,
	"TreeEnsembleClassifier": ml.NewTreeEnsembleClassifier,
	"LinearClassifier":       ml.NewLinearClassifier,
	"Normalizer":             ml.NewNormalizer,
	"Imputer":                ml.NewImputer,
	"LinearRegressor":        func() ops.Operator { op, _ := opset13.GetOperator("LinearRegressor"); return op },
	"Scaler":                 func() ops.Operator { op, _ := opset13.GetOperator("Scaler"); return op },
}

// defaultOps are gonnx's opset 13 operators of the default domain, plus
// Identity.
func newDefaultOp(name string) (ops.Operator, bool) {
	switch name {
	case "LinearRegressor", "Scaler":
		return nil, false // ai.onnx.ml, not the default domain
	case "Identity", "Dropout":
		return identity{}, true
	case "Gemm":
		return &gemm{}, true
	case "MatMul":
		return &gemm{matmul: true}, true
	case "Softmax":
		return &softmax{}, true
	case "MaxPool":
		return &maxpool{}, true
	case "Conv":
		return &conv{}, true
	}
	op, err := opset13.GetOperator(name)
	return op, err == nil
}

// newOp returns the operator for a node, or false.
func newOp(domain, name string) (ops.Operator, bool) {
	switch domain {
	case DomainDefault, "ai.onnx":
		return newDefaultOp(name)
	case DomainML:
		if f, ok := mlOps[name]; ok {
			return f(), true
		}
	}
	return nil, false
}

// Supported lists the operators verdict runs, "domain:op" for ai.onnx.ml.
func Supported() []string {
	var out []string
	for _, n := range opset13.GetOpNames() {
		if _, ok := newDefaultOp(n); ok {
			out = append(out, n)
		}
	}
	out = append(out, "Identity", "Dropout", "MaxPool")
	for n := range mlOps {
		out = append(out, DomainML+":"+n)
	}
	slices.Sort(out)
	return out
}

// checkOpsets refuses domains and versions verdict does not run.
func checkOpsets(opsets map[string]int64) error {
	var bad []string
	for d, v := range opsets {
		switch d {
		case DomainDefault, "ai.onnx":
			if v < MinOpset || v > MaxOpset {
				bad = append(bad, fmt.Sprintf("default-domain opset %d (verdict runs %d to %d: export with opset_version=%d)", v, MinOpset, MaxOpset, MinOpset))
			}
		case DomainML:
			if v < MinMLOpset || v > MaxMLOpset {
				bad = append(bad, fmt.Sprintf("ai.onnx.ml opset %d (verdict runs %d to %d)", v, MinMLOpset, MaxMLOpset))
			}
		default:
			bad = append(bad, fmt.Sprintf("domain %q opset %d", d, v))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return fmt.Errorf("%w: %s", ErrUnsupported, strings.Join(bad, "; "))
}
