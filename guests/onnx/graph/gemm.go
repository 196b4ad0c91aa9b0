package graph

import (
	"fmt"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/advancedclimatesystems/gonnx/ops"
	"gorgonia.org/tensor"
)

// gemm replaces gonnx's Gemm and (2-D) MatMul: gorgonia's matrix product
// takes other code paths for other shapes, so a row's prediction changed
// with the batch it was in (in the last bits). Here every output element
// is one dot product, accumulated in float64 in index order and rounded
// once, whatever the batch: a prediction is a pure function of its row,
// as the sandbox's determinism gate requires.
type gemm struct {
	matmul         bool
	alpha, beta    float64
	transA, transB bool
}

var _ ops.Operator = (*gemm)(nil)

func (g *gemm) String() string {
	if g.matmul {
		return "MatMul operator"
	}
	return "Gemm operator"
}

func (g *gemm) Init(n *onnx.NodeProto) error {
	g.alpha, g.beta = 1, 1
	for _, a := range n.GetAttribute() {
		switch a.GetName() {
		case "alpha":
			g.alpha = float64(a.GetF())
		case "beta":
			g.beta = float64(a.GetF())
		case "transA":
			g.transA = a.GetI() != 0
		case "transB":
			g.transB = a.GetI() != 0
		default:
			return fmt.Errorf("%s: unknown attribute %q", g, a.GetName())
		}
	}
	return nil
}

func (g *gemm) GetMinInputs() int {
	return 2
}

func (g *gemm) GetMaxInputs() int {
	if g.matmul {
		return 2
	}
	return 3
}

func (g *gemm) GetInputTypeConstraints() [][]tensor.Dtype {
	f := []tensor.Dtype{tensor.Float32, tensor.Float64}
	return [][]tensor.Dtype{f, f, f}
}

func (g *gemm) ValidateInputs(in []tensor.Tensor) ([]tensor.Tensor, error) {
	return ops.ValidateInputs(g, in)
}

// values returns t's data as float64 and whether it was float32.
func values(t tensor.Tensor) ([]float64, bool, error) {
	switch b := t.Data().(type) {
	case []float32:
		return widen32(b), true, nil
	case []float64:
		return b, false, nil
	case float32:
		return []float64{float64(b)}, true, nil
	case float64:
		return []float64{b}, false, nil
	}
	return nil, false, fmt.Errorf("data of type %T", t.Data())
}

func widen32(b []float32) []float64 {
	out := make([]float64, len(b))
	for i, v := range b {
		out[i] = float64(v)
	}
	return out
}

// dims2 returns the rows and columns of a 2-D tensor (1-D: one row).
func dims2(t tensor.Tensor) (int, int, error) {
	s := t.Shape()
	switch len(s) {
	case 1:
		return 1, s[0], nil
	case 2:
		return s[0], s[1], nil
	}
	return 0, 0, fmt.Errorf("shape %v, want 2-D", s)
}

func (g *gemm) Apply(in []tensor.Tensor) ([]tensor.Tensor, error) {
	a, a32, err := values(in[0])
	if err != nil {
		return nil, err
	}
	b, _, err := values(in[1])
	if err != nil {
		return nil, err
	}
	ar, ac, err := dims2(in[0])
	if err != nil {
		return nil, fmt.Errorf("%s: A: %v", g, err)
	}
	br, bc, err := dims2(in[1])
	if err != nil {
		return nil, fmt.Errorf("%s: B: %v", g, err)
	}
	m, k := ar, ac
	if g.transA {
		m, k = ac, ar
	}
	kb, n := br, bc
	if g.transB {
		kb, n = bc, br
	}
	if k != kb {
		return nil, fmt.Errorf("%s: A is %v and B is %v (transA %v, transB %v): inner dimensions %d and %d differ",
			g, in[0].Shape(), in[1].Shape(), g.transA, g.transB, k, kb)
	}
	var c []float64
	var cr, cc int
	if len(in) > 2 && in[2] != nil {
		if c, _, err = values(in[2]); err != nil {
			return nil, err
		}
		switch s := in[2].Shape(); len(s) {
		case 0:
			cr, cc = 1, 1
		case 1:
			cr, cc = 1, s[0]
		case 2:
			cr, cc = s[0], s[1]
		default:
			return nil, fmt.Errorf("%s: C has shape %v", g, s)
		}
		if (cr != 1 && cr != m) || (cc != 1 && cc != n) {
			return nil, fmt.Errorf("%s: C of shape %v does not broadcast to [%d, %d]", g, in[2].Shape(), m, n)
		}
	}
	out := make([]float64, m*n)
	for i := range m {
		for j := range n {
			var s float64
			for p := range k {
				var av, bv float64
				if g.transA {
					av = a[p*ac+i]
				} else {
					av = a[i*ac+p]
				}
				if g.transB {
					bv = b[j*bc+p]
				} else {
					bv = b[p*bc+j]
				}
				s += av * bv
			}
			s *= g.alpha
			if c != nil {
				s += g.beta * c[min(i, cr-1)*cc+min(j, cc-1)]
			}
			out[i*n+j] = s
		}
	}
	shape := []int{m, n}
	if g.matmul && len(in[0].Shape()) == 1 {
		shape = []int{n}
	}
	if a32 {
		o := make([]float32, len(out))
		for i, v := range out {
			o[i] = float32(v)
		}
		return []tensor.Tensor{tensor.New(tensor.WithShape(shape...), tensor.WithBacking(o))}, nil
	}
	return []tensor.Tensor{tensor.New(tensor.WithShape(shape...), tensor.WithBacking(out))}, nil
}
