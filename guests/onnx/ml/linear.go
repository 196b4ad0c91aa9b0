package ml

import (
	"math"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/advancedclimatesystems/gonnx/ops"
	"gorgonia.org/tensor"
)

// LinearClassifier is the ONNX-ML LinearClassifier: scores X·Wᵀ + b per
// class, then post_transform; with two labels and one row of
// coefficients, the score is of class 1 and Z is [-s, s] (or
// [1-σ(s), σ(s)] with LOGISTIC), as in ONNX Runtime.
type LinearClassifier struct {
	base
	coef, intercepts []float64
	labels           labels
	transform        postTransform
}

var _ ops.Operator = (*LinearClassifier)(nil)

// NewLinearClassifier returns an uninitialised operator.
func NewLinearClassifier() ops.Operator {
	return &LinearClassifier{base: base{"LinearClassifier"}, transform: transformNone}
}

// Init reads and checks the attributes.
func (l *LinearClassifier) Init(n *onnx.NodeProto) error {
	var err error
	for _, a := range n.GetAttribute() {
		switch a.GetName() {
		case "coefficients":
			l.coef = floats(a)
		case "intercepts":
			l.intercepts = floats(a)
		case "classlabels_ints":
			l.labels.ints = a.GetInts()
		case "classlabels_strings":
			l.labels.strs = strs(a)
		case "multi_class":
		case "post_transform":
			if l.transform, err = parseTransform(l.name, string(a.GetS())); err != nil {
				return err
			}
		default:
			return attrErr(l.name, "unknown attribute %q", a.GetName())
		}
	}
	k := l.labels.len()
	if k < 1 {
		return attrErr(l.name, "no class labels")
	}
	rows := len(l.intercepts)
	if rows == 0 {
		rows = k
		if k == 2 && len(l.coef)%2 != 0 {
			rows = 1
		}
	}
	if rows != k && !(k == 2 && rows == 1) {
		return attrErr(l.name, "%d intercepts for %d classes", rows, k)
	}
	if len(l.coef) == 0 || len(l.coef)%rows != 0 {
		return attrErr(l.name, "%d coefficients do not split into %d rows", len(l.coef), rows)
	}
	if len(l.intercepts) == 0 {
		l.intercepts = make([]float64, rows)
	}
	return nil
}

// Apply predicts every row: the label [N] (int64) and the scores Z [N,
// classes] (float32).
func (l *LinearClassifier) Apply(in []tensor.Tensor) ([]tensor.Tensor, error) {
	x, n, f, err := rows(l.name, in[0])
	if err != nil {
		return nil, err
	}
	r := len(l.intercepts)
	if f*r != len(l.coef) {
		return nil, attrErr(l.name, "input has %d features, coefficients are %d×%d", f, r, len(l.coef)/r)
	}
	k := l.labels.len()
	out := make([]float64, n*k)
	label := make([]int, n)
	score := make([]float64, r)
	for i := range n {
		row := x[i*f : (i+1)*f]
		for j := range r {
			s := l.intercepts[j]
			for c, w := range l.coef[j*f : (j+1)*f] {
				s += w * row[c]
			}
			score[j] = s
		}
		z := out[i*k : (i+1)*k]
		if r == 1 && k == 2 {
			s := score[0]
			label[i] = boolInt(s > 0)
			if l.transform == transformLogistic {
				z[1] = logistic(s)
				z[0] = float64(1 - float32(z[1]))
			} else {
				z[0], z[1] = -s, s
				l.transform.apply(z)
			}
			continue
		}
		l.transform.apply(score)
		copy(z, score)
		label[i] = argmax(score)
	}
	return []tensor.Tensor{l.labels.tensor(label), float32Tensor(out, n, k)}, nil
}

// ValidateInputs checks the count and types of the inputs.
func (l *LinearClassifier) ValidateInputs(in []tensor.Tensor) ([]tensor.Tensor, error) {
	return validate(l, in)
}

// Normalizer is the ONNX-ML Normalizer: each row divided by its MAX, L1
// or L2 norm (rows whose norm is 0 are left as they are).
type Normalizer struct {
	base
	norm string
}

var _ ops.Operator = (*Normalizer)(nil)

// NewNormalizer returns an uninitialised operator.
func NewNormalizer() ops.Operator { return &Normalizer{base: base{"Normalizer"}, norm: "MAX"} }

// Init reads and checks the attributes.
func (z *Normalizer) Init(n *onnx.NodeProto) error {
	for _, a := range n.GetAttribute() {
		if a.GetName() != "norm" {
			return attrErr(z.name, "unknown attribute %q", a.GetName())
		}
		z.norm = string(a.GetS())
	}
	switch z.norm {
	case "MAX", "L1", "L2":
		return nil
	}
	return attrErr(z.name, "norm %q is not MAX, L1 or L2", z.norm)
}

// Apply normalises every row; Y is float32 [N, F].
func (z *Normalizer) Apply(in []tensor.Tensor) ([]tensor.Tensor, error) {
	x, n, f, err := rows(z.name, in[0])
	if err != nil {
		return nil, err
	}
	for i := range n {
		row := x[i*f : (i+1)*f]
		var norm float64
		for _, v := range row {
			switch z.norm {
			case "MAX":
				norm = max(norm, v)
			case "L1":
				norm += math.Abs(v)
			case "L2":
				norm += v * v
			}
		}
		if z.norm == "L2" {
			norm = math.Sqrt(norm)
		}
		if norm == 0 {
			continue
		}
		for c := range row {
			row[c] /= norm
		}
	}
	return []tensor.Tensor{float32Tensor(x, n, f)}, nil
}

// ValidateInputs checks the count and types of the inputs.
func (z *Normalizer) ValidateInputs(in []tensor.Tensor) ([]tensor.Tensor, error) {
	return validate(z, in)
}
