package ml

import (
	"fmt"
	"math"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/advancedclimatesystems/gonnx/ops"
	"gorgonia.org/tensor"
)

// Imputer is the ONNX-ML Imputer on float tensors: every value equal to
// replaced_value_float (every NaN when it is NaN, its default in the
// exporters) is replaced by its feature's imputed_value_floats entry, or
// by the one entry for every feature. Y has X's shape and type, as in
// ONNX Runtime. scikit-learn's SimpleImputer exports to it, and verdict's
// Python template writes it in front of its Scaler.
type Imputer struct {
	base
	imputed  []float64
	replaced float64
}

var _ ops.Operator = (*Imputer)(nil)

// NewImputer returns an uninitialised operator.
func NewImputer() ops.Operator { return &Imputer{base: base{"Imputer"}} }

// Init reads and checks the attributes.
func (m *Imputer) Init(n *onnx.NodeProto) error {
	for _, a := range n.GetAttribute() {
		switch a.GetName() {
		case "imputed_value_floats":
			m.imputed = floats(a)
		case "replaced_value_float":
			m.replaced = float64(a.GetF())
		case "imputed_value_int64s", "replaced_value_int64":
			return attrErr(m.name, "%s: only float inputs are supported", a.GetName())
		default:
			return attrErr(m.name, "unknown attribute %q", a.GetName())
		}
	}
	if len(m.imputed) == 0 {
		return attrErr(m.name, "no imputed_value_floats")
	}
	return nil
}

// Apply replaces the missing values of each row.
func (m *Imputer) Apply(in []tensor.Tensor) ([]tensor.Tensor, error) {
	x, n, f, err := rows(m.name, in[0])
	if err != nil {
		return nil, err
	}
	if len(m.imputed) != 1 && len(m.imputed) != f {
		return nil, fmt.Errorf("ml: %s: %d imputed values for %d features (want 1 or %d)", m.name, len(m.imputed), f, f)
	}
	nan := math.IsNaN(m.replaced)
	for i := range n {
		for c := range f {
			v := x[i*f+c]
			if (nan && math.IsNaN(v)) || (!nan && v == m.replaced) {
				x[i*f+c] = m.imputed[min(c, len(m.imputed)-1)]
			}
		}
	}
	shape := append([]int(nil), in[0].Shape()...)
	switch in[0].Data().(type) {
	case []float64, float64:
		return []tensor.Tensor{tensor.New(tensor.WithShape(shape...), tensor.WithBacking(x))}, nil
	case []float32, float32:
		return []tensor.Tensor{float32Tensor(x, shape...)}, nil
	}
	return nil, fmt.Errorf("ml: %s: input of type %T, want float or double", m.name, in[0].Data())
}

// ValidateInputs checks the count and types of the inputs.
func (m *Imputer) ValidateInputs(in []tensor.Tensor) ([]tensor.Tensor, error) {
	return validate(m, in)
}
