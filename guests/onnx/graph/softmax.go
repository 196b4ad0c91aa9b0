package graph

import (
	"fmt"
	"math"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/advancedclimatesystems/gonnx/ops"
	"gorgonia.org/tensor"
)

// softmax replaces gonnx's Softmax (opset 13: along one axis), whose
// reductions gave a row other last bits in another batch: here each slice
// along the axis is max-shifted, exponentiated and summed in float64 in
// index order, then rounded once.
type softmax struct{ axis int }

var _ ops.Operator = (*softmax)(nil)

func (s *softmax) String() string { return "Softmax operator" }

func (s *softmax) Init(n *onnx.NodeProto) error {
	s.axis = -1
	for _, a := range n.GetAttribute() {
		if a.GetName() != "axis" {
			return fmt.Errorf("%s: unknown attribute %q", s, a.GetName())
		}
		s.axis = int(a.GetI())
	}
	return nil
}

func (s *softmax) GetMinInputs() int { return 1 }
func (s *softmax) GetMaxInputs() int { return 1 }
func (s *softmax) GetInputTypeConstraints() [][]tensor.Dtype {
	return [][]tensor.Dtype{{tensor.Float32, tensor.Float64}}
}
func (s *softmax) ValidateInputs(in []tensor.Tensor) ([]tensor.Tensor, error) {
	return ops.ValidateInputs(s, in)
}

func (s *softmax) Apply(in []tensor.Tensor) ([]tensor.Tensor, error) {
	shape := in[0].Shape().Clone()
	axis := s.axis
	if axis < 0 {
		axis += len(shape)
	}
	if axis < 0 || axis >= len(shape) {
		return nil, fmt.Errorf("%s: axis %d for shape %v", s, s.axis, shape)
	}
	v, f32, err := values(in[0])
	if err != nil {
		return nil, err
	}
	v = append([]float64(nil), v...)
	n, inner := shape[axis], 1
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	outer := len(v) / max(1, n*inner)
	for o := range outer {
		for i := range inner {
			at := func(k int) *float64 { return &v[(o*n+k)*inner+i] }
			m := math.Inf(-1)
			for k := range n {
				m = max(m, *at(k))
			}
			var sum float64
			for k := range n {
				e := math.Exp(*at(k) - m)
				*at(k) = e
				sum += e
			}
			for k := range n {
				*at(k) /= sum
			}
		}
	}
	if f32 {
		o := make([]float32, len(v))
		for i, x := range v {
			o[i] = float32(x)
		}
		return []tensor.Tensor{tensor.New(tensor.WithShape(shape...), tensor.WithBacking(o))}, nil
	}
	return []tensor.Tensor{tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))}, nil
}
