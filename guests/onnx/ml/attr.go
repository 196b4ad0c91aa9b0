package ml

import (
	"errors"
	"fmt"
	"math"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/advancedclimatesystems/gonnx/ops"
	"gorgonia.org/tensor"
)

// ErrAttribute is matched by every attribute error of this package.
var ErrAttribute = errors.New("ml: invalid attribute")

func attrErr(op, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrAttribute, op, fmt.Sprintf(format, args...))
}

// floats returns a float attribute list, or the double tensor of a *_as_tensor
// attribute (ai.onnx.ml opset 3), as float64.
func floats(a *onnx.AttributeProto) []float64 {
	if t := a.GetT(); t != nil {
		if d := t.GetDoubleData(); len(d) > 0 {
			return append([]float64(nil), d...)
		}
		if raw := t.GetRawData(); len(raw) > 0 && t.GetDataType() == int32(onnx.TensorProto_DOUBLE) {
			v, err := onnx.ReadFloat64ArrayFromBytes(raw)
			if err == nil {
				return v
			}
		}
		if f := t.GetFloatData(); len(f) > 0 {
			return widen(f)
		}
		return nil
	}
	return widen(a.GetFloats())
}

func widen(f []float32) []float64 {
	out := make([]float64, len(f))
	for i, v := range f {
		out[i] = float64(v)
	}
	return out
}

func strs(a *onnx.AttributeProto) []string {
	out := make([]string, len(a.GetStrings()))
	for i, s := range a.GetStrings() {
		out[i] = string(s)
	}
	return out
}

// postTransform is an ONNX-ML post_transform.
type postTransform string

const (
	transformNone        postTransform = "NONE"
	transformLogistic    postTransform = "LOGISTIC"
	transformSoftmax     postTransform = "SOFTMAX"
	transformSoftmaxZero postTransform = "SOFTMAX_ZERO"
	transformProbit      postTransform = "PROBIT"
)

func parseTransform(op string, s string) (postTransform, error) {
	switch t := postTransform(s); t {
	case transformNone, transformLogistic, transformSoftmax, transformSoftmaxZero, transformProbit:
		return t, nil
	}
	return "", attrErr(op, "post_transform %q is not NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO or PROBIT", s)
}

// logistic is ONNX Runtime's ComputeLogistic in float32.
func logistic(x float64) float64 {
	v := float32(1 / (1 + math.Exp(-math.Abs(x))))
	if x < 0 {
		return float64(1 - v)
	}
	return float64(v)
}

// probit is ONNX Runtime's ComputeProbit: sqrt(2) * erfinv(2x - 1).
func probit(x float64) float64 { return math.Sqrt2 * math.Erfinv(2*x-1) }

// apply transforms the scores of one row in place.
func (t postTransform) apply(v []float64) {
	switch t {
	case transformLogistic:
		for i := range v {
			v[i] = logistic(v[i])
		}
	case transformProbit:
		for i := range v {
			v[i] = probit(v[i])
		}
	case transformSoftmax, transformSoftmaxZero:
		zero := t == transformSoftmaxZero
		m := math.Inf(-1)
		for _, x := range v {
			if (!zero || x != 0) && x > m {
				m = x
			}
		}
		var sum float64
		for i, x := range v {
			if zero && x == 0 {
				continue
			}
			v[i] = math.Exp(x - m)
			sum += v[i]
		}
		for i, x := range v {
			if zero && x == 0 {
				continue
			}
			v[i] = x / sum
		}
	}
}

// rows returns the input as float64 rows: a [N, F] (or [F]) tensor of
// float32, float64, int32 or int64.
func rows(op string, t tensor.Tensor) (data []float64, n, f int, err error) {
	shape := t.Shape()
	switch len(shape) {
	case 1:
		n, f = 1, shape[0]
	case 2:
		n, f = shape[0], shape[1]
	default:
		return nil, 0, 0, fmt.Errorf("ml: %s: input has shape %v, want [N, F]", op, shape)
	}
	data = make([]float64, n*f)
	switch b := t.Data().(type) {
	case []float32:
		for i, v := range b {
			data[i] = float64(v)
		}
	case []float64:
		copy(data, b)
	case []int32:
		for i, v := range b {
			data[i] = float64(v)
		}
	case []int64:
		for i, v := range b {
			data[i] = float64(v)
		}
	case float32:
		data[0] = float64(b)
	case float64:
		data[0] = b
	default:
		return nil, 0, 0, fmt.Errorf("ml: %s: input of type %T, want float or int", op, b)
	}
	return data, n, f, nil
}

// float32Tensor rounds v to a float32 tensor of the given shape.
func float32Tensor(v []float64, shape ...int) tensor.Tensor {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(out))
}

// labels is a classifier's class labels: int64 or string.
type labels struct {
	ints []int64
	strs []string
}

func (l labels) len() int { return max(len(l.ints), len(l.strs)) }

// tensor returns the labels at idx as an [N] tensor.
func (l labels) tensor(idx []int) tensor.Tensor {
	if l.strs != nil {
		// gorgonia tensors do not hold strings: the label output of a
		// string-labelled classifier carries the label index instead. verdict
		// reads probabilities, never labels.
		out := make([]int64, len(idx))
		for i, k := range idx {
			out[i] = int64(k)
		}
		return tensor.New(tensor.WithShape(len(idx)), tensor.WithBacking(out))
	}
	out := make([]int64, len(idx))
	for i, k := range idx {
		out[i] = l.ints[k]
	}
	return tensor.New(tensor.WithShape(len(idx)), tensor.WithBacking(out))
}

var numeric = []tensor.Dtype{tensor.Float32, tensor.Float64, tensor.Int32, tensor.Int64}

// base is what the operators share of ops.Operator.
type base struct{ name string }

func (b base) String() string                            { return b.name + " operator" }
func (b base) GetMinInputs() int                         { return 1 }
func (b base) GetMaxInputs() int                         { return 1 }
func (b base) GetInputTypeConstraints() [][]tensor.Dtype { return [][]tensor.Dtype{numeric} }

// validate is ops.ValidateInputs for op.
func validate(op ops.Operator, in []tensor.Tensor) ([]tensor.Tensor, error) {
	return ops.ValidateInputs(op, in)
}

func argmax(v []float64) int {
	k := 0
	for i, x := range v {
		if x > v[k] {
			k = i
		}
	}
	return k
}
