package testmodels

import (
	"math"

	"github.com/advancedclimatesystems/gonnx/onnx"
)

// Case is a model, its task shape and a reference prediction function.
type Case struct {
	Name     string
	Model    *onnx.ModelProto
	Features int
	Outputs  int
	// Want returns the outputs of one row, computed without the runtime.
	Want func(x []float64) []float64
	// Tol is the relative tolerance (float32 arithmetic in the runtime).
	Tol float64
	// NaN: the model takes NaN features (trees route missing values).
	NaN bool
}

func f32(x float64) float64 { return float64(float32(x)) }

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// Logistic: Gemm + Sigmoid, 4 features, one probability.
func Logistic() Case {
	w := []float32{0.5, -1.25, 2, 0.75}
	b := float32(-0.3)
	g := &onnx.GraphProto{Name: "logistic",
		Node: []*onnx.NodeProto{
			Node("Gemm", "", []string{"X", "W", "B"}, []string{"z"}),
			Node("Sigmoid", "", []string{"z"}, []string{"prob"}),
		},
		Initializer: []*onnx.TensorProto{Floats("W", []int64{4, 1}, w), Floats("B", []int64{1}, []float32{b})},
		Input:       []*onnx.ValueInfoProto{Value("X", Float, -1, 4)},
		Output:      []*onnx.ValueInfoProto{Value("prob", Float, -1, 1)},
	}
	return Case{Name: "logistic", Model: Model(g), Features: 4, Outputs: 1, Tol: 1e-6,
		Want: func(x []float64) []float64 {
			z := float64(b)
			for i, v := range w {
				z += float64(v) * f32(x[i])
			}
			return []float64{sigmoid(z)}
		}}
}

// MLP: 4 -> 8 (ReLU) -> 3, softmax: three class probabilities.
func MLP() Case {
	w1 := make([]float32, 4*8)
	for i := range w1 {
		w1[i] = float32(math.Sin(float64(i)*0.7)) * 0.8
	}
	b1 := []float32{0.1, -0.2, 0.05, 0, 0.3, -0.1, 0.2, -0.05}
	w2 := make([]float32, 8*3)
	for i := range w2 {
		w2[i] = float32(math.Cos(float64(i)*1.3)) * 0.6
	}
	b2 := []float32{0.2, 0, -0.2}
	g := &onnx.GraphProto{Name: "mlp",
		Node: []*onnx.NodeProto{
			Node("Gemm", "", []string{"X", "W1", "B1"}, []string{"h"}),
			Node("Relu", "", []string{"h"}, []string{"r"}),
			Node("Gemm", "", []string{"r", "W2", "B2"}, []string{"logits"}),
			Node("Softmax", "", []string{"logits"}, []string{"probs"}, AttrI("axis", 1)),
		},
		Initializer: []*onnx.TensorProto{Floats("W1", []int64{4, 8}, w1), Floats("B1", []int64{8}, b1),
			Floats("W2", []int64{8, 3}, w2), Floats("B2", []int64{3}, b2)},
		Input:  []*onnx.ValueInfoProto{Value("X", Float, -1, 4)},
		Output: []*onnx.ValueInfoProto{Value("probs", Float, -1, 3)},
	}
	return Case{Name: "mlp", Model: Model(g), Features: 4, Outputs: 3, Tol: 1e-5,
		Want: func(x []float64) []float64 {
			h := make([]float64, 8)
			for j := range 8 {
				h[j] = float64(b1[j])
				for i := range 4 {
					h[j] += f32(x[i]) * float64(w1[i*8+j])
				}
				h[j] = max(h[j], 0)
			}
			z := make([]float64, 3)
			var sum float64
			for k := range 3 {
				z[k] = float64(b2[k])
				for j := range 8 {
					z[k] += h[j] * float64(w2[j*3+k])
				}
			}
			m := max(z[0], z[1], z[2])
			for k := range z {
				z[k] = math.Exp(z[k] - m)
				sum += z[k]
			}
			for k := range z {
				z[k] /= sum
			}
			return z
		}}
}

// treeAttrs are two trees over 3 features:
//
//	tree 0: x0 <= 0.5 ? (x1 <= -1 ? leaf A : leaf B) : leaf C
//	tree 1: x2 < 2 ? leaf D : leaf E   (NaN x2 goes true)
func treeAttrs() []*onnx.AttributeProto {
	return []*onnx.AttributeProto{
		AttrInts("nodes_treeids", 0, 0, 0, 0, 0, 1, 1, 1),
		AttrInts("nodes_nodeids", 0, 1, 2, 3, 4, 0, 1, 2),
		AttrInts("nodes_featureids", 0, 1, 0, 0, 0, 2, 0, 0),
		AttrFloats("nodes_values", 0.5, -1, 0, 0, 0, 2, 0, 0),
		AttrStrings("nodes_modes", "BRANCH_LEQ", "BRANCH_LEQ", "LEAF", "LEAF", "LEAF", "BRANCH_LT", "LEAF", "LEAF"),
		AttrInts("nodes_truenodeids", 1, 3, 0, 0, 0, 1, 0, 0),
		AttrInts("nodes_falsenodeids", 2, 4, 0, 0, 0, 2, 0, 0),
		AttrInts("nodes_missing_value_tracks_true", 0, 0, 0, 0, 0, 1, 0, 0),
	}
}

// leaves returns the leaf of each tree for x: tree 0 in {A=3,B=4,C=2},
// tree 1 in {D=1,E=2} (node ids).
func leaves(x []float64) (int64, int64) {
	x0, x1, x2 := f32(x[0]), f32(x[1]), f32(x[2])
	var t0, t1 int64
	switch {
	case x0 <= 0.5 && x1 <= -1:
		t0 = 3
	case x0 <= 0.5:
		t0 = 4
	default:
		t0 = 2
	}
	if x2 < 2 || math.IsNaN(x2) {
		t1 = 1
	} else {
		t1 = 2
	}
	return t0, t1
}

// TreeRegressor: the two trees, SUM, base 0.25.
func TreeRegressor() Case {
	weights := map[[2]int64]float64{{0, 3}: 1.5, {0, 4}: -0.5, {0, 2}: 2.25, {1, 1}: 0.125, {1, 2}: -1}
	attrs := append(treeAttrs(),
		AttrInts("target_treeids", 0, 0, 0, 1, 1), AttrInts("target_nodeids", 3, 4, 2, 1, 2),
		AttrInts("target_ids", 0, 0, 0, 0, 0), AttrFloats("target_weights", 1.5, -0.5, 2.25, 0.125, -1),
		AttrI("n_targets", 1), AttrS("aggregate_function", "SUM"), AttrFloats("base_values", 0.25))
	g := &onnx.GraphProto{Name: "tree_regressor",
		Node:   []*onnx.NodeProto{Node("TreeEnsembleRegressor", "ai.onnx.ml", []string{"X"}, []string{"variable"}, attrs...)},
		Input:  []*onnx.ValueInfoProto{Value("X", Float, -1, 3)},
		Output: []*onnx.ValueInfoProto{Value("variable", Float, -1, 1)},
	}
	return Case{Name: "tree_regressor", NaN: true, Model: Model(g), Features: 3, Outputs: 1, Tol: 1e-7,
		Want: func(x []float64) []float64 {
			t0, t1 := leaves(x)
			return []float64{f32(weights[[2]int64{0, t0}] + weights[[2]int64{1, t1}] + 0.25)}
		}}
}

// TreeBinary: XGBoost's layout: one weight column, LOGISTIC, base value;
// outputs label (int64) then probabilities [N, 2].
func TreeBinary() Case {
	weights := map[[2]int64]float64{{0, 3}: 0.8, {0, 4}: -0.6, {0, 2}: 0.3, {1, 1}: -0.2, {1, 2}: 0.9}
	attrs := append(treeAttrs(),
		AttrInts("class_treeids", 0, 0, 0, 1, 1), AttrInts("class_nodeids", 3, 4, 2, 1, 2),
		AttrInts("class_ids", 0, 0, 0, 0, 0), AttrFloats("class_weights", 0.8, -0.6, 0.3, -0.2, 0.9),
		AttrInts("classlabels_int64s", 0, 1), AttrS("post_transform", "LOGISTIC"), AttrFloats("base_values", -0.1))
	g := &onnx.GraphProto{Name: "tree_binary",
		Node:   []*onnx.NodeProto{Node("TreeEnsembleClassifier", "ai.onnx.ml", []string{"X"}, []string{"label", "probabilities"}, attrs...)},
		Input:  []*onnx.ValueInfoProto{Value("X", Float, -1, 3)},
		Output: []*onnx.ValueInfoProto{Value("label", Int64, -1), Value("probabilities", Float, -1, 2)},
	}
	return Case{Name: "tree_binary", NaN: true, Model: Model(g), Features: 3, Outputs: 1, Tol: 1e-6,
		Want: func(x []float64) []float64 {
			t0, t1 := leaves(x)
			s := weights[[2]int64{0, t0}] + weights[[2]int64{1, t1}] - 0.1
			return []float64{f32(sigmoid(s))}
		}}
}

// TreeMulticlass: a random-forest layout: weights for 3 classes in each
// leaf (averaged by the exporter), no post-transform.
func TreeMulticlass() Case {
	// leaf -> class distribution
	dist := map[[2]int64][3]float64{{0, 3}: {0.5, 0.25, 0.25}, {0, 4}: {0, 1, 0}, {0, 2}: {0.1, 0.2, 0.7},
		{1, 1}: {0.6, 0.4, 0}, {1, 2}: {0, 0, 1}}
	var tids, nids, cids []int64
	var ws []float32
	for _, k := range [][2]int64{{0, 3}, {0, 4}, {0, 2}, {1, 1}, {1, 2}} {
		for c := range 3 {
			tids, nids, cids = append(tids, k[0]), append(nids, k[1]), append(cids, int64(c))
			ws = append(ws, float32(dist[k][c]/2))
		}
	}
	attrs := append(treeAttrs(),
		AttrInts("class_treeids", tids...), AttrInts("class_nodeids", nids...),
		AttrInts("class_ids", cids...), AttrFloats("class_weights", ws...),
		AttrInts("classlabels_int64s", 0, 1, 2))
	g := &onnx.GraphProto{Name: "tree_multiclass",
		Node:   []*onnx.NodeProto{Node("TreeEnsembleClassifier", "ai.onnx.ml", []string{"X"}, []string{"label", "probabilities"}, attrs...)},
		Input:  []*onnx.ValueInfoProto{Value("X", Float, -1, 3)},
		Output: []*onnx.ValueInfoProto{Value("label", Int64, -1), Value("probabilities", Float, -1, 3)},
	}
	return Case{Name: "tree_multiclass", NaN: true, Model: Model(g), Features: 3, Outputs: 3, Tol: 1e-6,
		Want: func(x []float64) []float64 {
			t0, t1 := leaves(x)
			out := make([]float64, 3)
			for c := range 3 {
				out[c] = f32(f32(dist[[2]int64{0, t0}][c]/2) + f32(dist[[2]int64{1, t1}][c]/2))
			}
			return out
		}}
}

// LinearBinary: LinearClassifier with one coefficient row, LOGISTIC
// (scikit-learn's LogisticRegression layout), then probabilities.
func LinearBinary() Case {
	coef := []float32{1.5, -0.5, 0.25}
	icpt := float32(0.1)
	g := &onnx.GraphProto{Name: "linear_binary",
		Node: []*onnx.NodeProto{Node("LinearClassifier", "ai.onnx.ml", []string{"X"}, []string{"label", "probabilities"},
			AttrFloats("coefficients", coef...), AttrFloats("intercepts", icpt),
			AttrInts("classlabels_ints", 0, 1), AttrS("post_transform", "LOGISTIC"))},
		Input:  []*onnx.ValueInfoProto{Value("X", Float, -1, 3)},
		Output: []*onnx.ValueInfoProto{Value("label", Int64, -1), Value("probabilities", Float, -1, 2)},
	}
	return Case{Name: "linear_binary", Model: Model(g), Features: 3, Outputs: 1, Tol: 1e-6,
		Want: func(x []float64) []float64 {
			z := float64(icpt)
			for i, c := range coef {
				z += float64(c) * f32(x[i])
			}
			return []float64{f32(sigmoid(z))}
		}}
}

// ImputedLinear: Imputer (NaN to each feature's mean) -> Scaler ->
// LinearClassifier, the pipeline `verdict init model --lang python`'s
// train.py writes.
func ImputedLinear() Case {
	mean := []float32{0.25, -0.5, 1}
	scale := []float32{2, 0.5, 4}
	coef := []float32{0.75, -1.25, 0.5}
	icpt := float32(-0.2)
	g := &onnx.GraphProto{Name: "imputed_linear",
		Node: []*onnx.NodeProto{
			Node("Imputer", "ai.onnx.ml", []string{"X"}, []string{"imputed"},
				AttrFloats("imputed_value_floats", mean...), AttrF("replaced_value_float", float32(math.NaN()))),
			Node("Scaler", "ai.onnx.ml", []string{"imputed"}, []string{"scaled"},
				AttrFloats("offset", mean...), AttrFloats("scale", scale...)),
			Node("LinearClassifier", "ai.onnx.ml", []string{"scaled"}, []string{"label", "probabilities"},
				AttrFloats("coefficients", coef...), AttrFloats("intercepts", icpt),
				AttrInts("classlabels_ints", 0, 1), AttrS("post_transform", "LOGISTIC"))},
		Input:  []*onnx.ValueInfoProto{Value("X", Float, -1, 3)},
		Output: []*onnx.ValueInfoProto{Value("label", Int64, -1), Value("probabilities", Float, -1, 2)},
	}
	return Case{Name: "imputed_linear", Model: Model(g), Features: 3, Outputs: 1, Tol: 1e-6, NaN: true,
		Want: func(x []float64) []float64 {
			z := float64(icpt)
			for i, c := range coef {
				v := f32(x[i])
				if math.IsNaN(v) {
					v = float64(mean[i])
				}
				z += float64(c) * f32((v-float64(mean[i]))*float64(scale[i]))
			}
			// ONNX Runtime's logistic: σ(|z|) in float32, then 1 - it
			// for z < 0 (small probabilities keep float32's absolute,
			// not relative, precision).
			p := f32(sigmoid(math.Abs(z)))
			if z < 0 {
				p = f32(1 - p)
			}
			return []float64{p}
		}}
}

// All returns every case.
func All() []Case {
	return []Case{Logistic(), MLP(), TreeRegressor(), TreeBinary(), TreeMulticlass(), LinearBinary(), ImputedLinear()}
}

// Rows returns n deterministic rows of f features, column-major (the
// ABI's layout), with a NaN in feature 2 of row 3 if nan and f > 2.
func Rows(n, f int, nan bool) []float64 {
	x := make([]float64, n*f)
	for i := range n {
		for j := range f {
			x[j*n+i] = math.Sin(float64(i*f+j)*0.37) * 2.5
		}
	}
	if nan && f > 2 && n > 3 {
		x[2*n+3] = math.NaN()
	}
	return x
}
