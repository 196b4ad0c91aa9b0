package ml_test

import (
	"math"
	"testing"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/verdictlab/verdict/guests/onnx/ml"
	"gorgonia.org/tensor"
)

func node(attrs ...*onnx.AttributeProto) *onnx.NodeProto { return &onnx.NodeProto{Attribute: attrs} }

func TestNormalizer(t *testing.T) {
	x := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float32{3, -4, 0, 0, 0, 0}))
	tests := []struct {
		norm string
		want []float32
	}{
		{"L1", []float32{3.0 / 7, -4.0 / 7, 0, 0, 0, 0}},
		{"L2", []float32{0.6, -0.8, 0, 0, 0, 0}},
		{"MAX", []float32{1, -4.0 / 3, 0, 0, 0, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.norm, func(t *testing.T) {
			op := ml.NewNormalizer()
			if err := op.Init(node(&onnx.AttributeProto{Name: "norm", S: []byte(tc.norm)})); err != nil {
				t.Fatal(err)
			}
			out, err := op.Apply([]tensor.Tensor{x})
			if err != nil {
				t.Fatal(err)
			}
			got := out[0].Data().([]float32)
			for i, w := range tc.want {
				if math.Abs(float64(got[i]-w)) > 1e-7 {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

// A three-class LinearClassifier with SOFTMAX: scores by hand.
func TestLinearClassifierMulticlass(t *testing.T) {
	op := ml.NewLinearClassifier()
	err := op.Init(node(
		&onnx.AttributeProto{Name: "coefficients", Floats: []float32{1, 0, 0, 1, -1, -1}},
		&onnx.AttributeProto{Name: "intercepts", Floats: []float32{0, 0.5, 1}},
		&onnx.AttributeProto{Name: "classlabels_ints", Ints: []int64{3, 5, 7}},
		&onnx.AttributeProto{Name: "post_transform", S: []byte("SOFTMAX")},
	))
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(tensor.WithShape(1, 2), tensor.WithBacking([]float32{2, -1}))
	out, err := op.Apply([]tensor.Tensor{x})
	if err != nil {
		t.Fatal(err)
	}
	s := []float64{2, -0.5, 0} // x·w + b per class
	var sum float64
	for _, v := range s {
		sum += math.Exp(v)
	}
	got := out[1].Data().([]float32)
	for k, v := range s {
		if w := math.Exp(v) / sum; math.Abs(float64(got[k])-w) > 1e-7 {
			t.Fatalf("class %d: got %v, want %v", k, got[k], w)
		}
	}
	if label := out[0].Data().([]int64)[0]; label != 3 {
		t.Fatalf("got label %d, want 3", label)
	}
}

func TestTreeErrors(t *testing.T) {
	tests := []struct {
		name  string
		attrs []*onnx.AttributeProto
		msg   string
	}{
		{"ErrNoNodes", nil, "no nodes"},
		{"ErrLengths", []*onnx.AttributeProto{{Name: "nodes_nodeids", Ints: []int64{0, 1}}, {Name: "nodes_treeids", Ints: []int64{0}}}, "nodes_treeids has 1 entries, nodes_nodeids has 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ml.NewTreeEnsembleRegressor().Init(node(tc.attrs...))
			if err == nil || !contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want %q", err, tc.msg)
			}
		})
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// The Imputer replaces NaN (or a given value) per feature, keeps X's type
// and refuses a count of imputed values that fits no feature count.
func TestImputer(t *testing.T) {
	nan := float32(math.NaN())
	tests := []struct {
		name     string
		imputed  []float32
		replaced float32
		x        any
		want     []float64
	}{
		{"NaNPerFeature", []float32{10, 20, 30}, nan, []float32{1, nan, 3, nan, 5, nan}, []float64{1, 20, 3, 10, 5, 30}},
		{"NaNOneValue", []float32{-1}, nan, []float32{nan, 2, 3, 4, nan, 6}, []float64{-1, 2, 3, 4, -1, 6}},
		{"Value", []float32{7, 8, 9}, 0, []float32{0, 1, 0, nan, 0, 2}, []float64{7, 1, 9, math.NaN(), 8, 2}},
		{"Double", []float32{0.5, 1.5, 2.5}, nan, []float64{math.NaN(), 1, 2, 3, math.NaN(), 5}, []float64{0.5, 1, 2, 3, 1.5, 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			op := ml.NewImputer()
			if err := op.Init(node(&onnx.AttributeProto{Name: "imputed_value_floats", Floats: tc.imputed},
				&onnx.AttributeProto{Name: "replaced_value_float", F: tc.replaced})); err != nil {
				t.Fatal(err)
			}
			out, err := op.Apply([]tensor.Tensor{tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(tc.x))})
			if err != nil {
				t.Fatal(err)
			}
			var got []float64
			switch d := out[0].Data().(type) {
			case []float32:
				if _, ok := tc.x.([]float32); !ok {
					t.Fatalf("output float32 for a %T input", tc.x)
				}
				for _, v := range d {
					got = append(got, float64(v))
				}
			case []float64:
				if _, ok := tc.x.([]float64); !ok {
					t.Fatalf("output float64 for a %T input", tc.x)
				}
				got = d
			}
			for i, w := range tc.want {
				if got[i] != w && !(math.IsNaN(got[i]) && math.IsNaN(w)) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
	t.Run("ErrCount", func(t *testing.T) {
		op := ml.NewImputer()
		if err := op.Init(node(&onnx.AttributeProto{Name: "imputed_value_floats", Floats: []float32{1, 2}})); err != nil {
			t.Fatal(err)
		}
		_, err := op.Apply([]tensor.Tensor{tensor.New(tensor.WithShape(1, 3), tensor.WithBacking([]float32{1, 2, 3}))})
		if err == nil {
			t.Fatal("2 imputed values for 3 features: want an error")
		}
	})
	t.Run("ErrInts", func(t *testing.T) {
		if err := ml.NewImputer().Init(node(&onnx.AttributeProto{Name: "imputed_value_int64s", Ints: []int64{1}})); err == nil {
			t.Fatal("int64 imputation: want an error naming it")
		}
	})
}
