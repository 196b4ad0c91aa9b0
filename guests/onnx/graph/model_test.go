package graph_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/verdictlab/verdict/guests/onnx/graph"
	tm "github.com/verdictlab/verdict/guests/onnx/internal/testmodels"
)

func TestPredict(t *testing.T) {
	for _, tc := range tm.All() {
		t.Run(tc.Name, func(t *testing.T) {
			m, err := graph.Load(tm.Bytes(tc.Model))
			if err != nil {
				t.Fatal(err)
			}
			const rows = 37
			x := tm.Rows(rows, tc.Features, tc.NaN)
			y := make([]float64, rows*tc.Outputs)
			if err := m.Predict(x, rows, tc.Features, y, tc.Outputs); err != nil {
				t.Fatal(err)
			}
			for i := range rows {
				row := make([]float64, tc.Features)
				for j := range row {
					row[j] = x[j*rows+i]
				}
				want := tc.Want(row)
				for k, w := range want {
					got := y[k*rows+i]
					if math.Abs(got-w) > tc.Tol*math.Max(math.Abs(w), 1e-3) {
						t.Errorf("row %d output %d: got %.9g, want %.9g", i, k, got, w)
					}
				}
			}
			// Batches of one give the same bits.
			for i := range rows {
				one := make([]float64, tc.Features)
				for j := range one {
					one[j] = x[j*rows+i]
				}
				y1 := make([]float64, tc.Outputs)
				if err := m.Predict(one, 1, tc.Features, y1, tc.Outputs); err != nil {
					t.Fatal(err)
				}
				for k := range y1 {
					if math.Float64bits(y1[k]) != math.Float64bits(y[k*rows+i]) {
						t.Fatalf("row %d output %d: got %v alone, %v in a batch", i, k, y1[k], y[k*rows+i])
					}
				}
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	logistic := func(edit func(m *onnx.ModelProto)) []byte {
		m := tm.Logistic().Model
		edit(m)
		return tm.Bytes(m)
	}
	chain := func(n int) []byte {
		return logistic(func(m *onnx.ModelProto) {
			g := m.Graph
			prev := "prob"
			for i := range n {
				out := fmt.Sprintf("r%d", i)
				g.Node = append(g.Node, tm.Node("Relu", "", []string{prev}, []string{out}))
				prev = out
			}
			g.Output[0].Name = prev
		})
	}
	tests := []struct {
		name    string
		model   []byte
		is      error
		message string
	}{
		{"ErrDecode", []byte("\xff\xff\xff garbage"), graph.ErrDecode, "not an ONNX model"},
		{"UnsupportedOps", logistic(func(m *onnx.ModelProto) {
			m.Graph.Node = append(m.Graph.Node, tm.Node("LpPool", "", []string{"prob"}, []string{"a"}),
				tm.Node("ZipMap", "ai.onnx.ml", []string{"a"}, []string{"b"}))
		}), graph.ErrUnsupported, "operators LpPool (opset 13), ZipMap (ai.onnx.ml opset 3)"},
		{"FutureOpset", logistic(func(m *onnx.ModelProto) { m.OpsetImport[0].Version = 99 }), graph.ErrUnsupported, "default-domain opset 99"},
		{"UnknownDomain", logistic(func(m *onnx.ModelProto) {
			m.OpsetImport = append(m.OpsetImport, &onnx.OperatorSetIdProto{Domain: "com.microsoft", Version: 1})
		}), graph.ErrUnsupported, `domain "com.microsoft" opset 1`},
		{"Cyclic", logistic(func(m *onnx.ModelProto) {
			m.Graph.Node[0].Input[0] = "prob" // Gemm reads Sigmoid's output
		}), graph.ErrInvalid, `reads "prob", which no earlier node`},
		{"HugeTensor", logistic(func(m *onnx.ModelProto) {
			m.Graph.Initializer[0].Dims = []int64{1 << 40, 1 << 40}
		}), graph.ErrLimit, "more than"},
		{"BogusShape", logistic(func(m *onnx.ModelProto) {
			m.Graph.Initializer[0].Dims = []int64{5, 1}
		}), graph.ErrInvalid, "has shape [5 1] (5 elements) but 4 values"},
		{"NegativeDim", logistic(func(m *onnx.ModelProto) {
			m.Graph.Initializer[0].Dims = []int64{-4, -1}
		}), graph.ErrInvalid, "negative dimension"},
		{"TenThousandNodes", chain(10000), graph.ErrLimit, "10002 nodes, limit is 4096"},
		{"TwoInputs", logistic(func(m *onnx.ModelProto) {
			m.Graph.Input = append(m.Graph.Input, tm.Value("Y", tm.Float, -1, 2))
		}), graph.ErrMapping, "2 inputs besides initializers (X, Y)"},
		{"NoFloatOutput", logistic(func(m *onnx.ModelProto) { m.Graph.Output[0] = tm.Value("prob", tm.Int64, -1) }), graph.ErrMapping, "no graph output is a float"},
		{"OutputNotComputed", logistic(func(m *onnx.ModelProto) { m.Graph.Output[0].Name = "nowhere" }), graph.ErrInvalid, `"nowhere" is not computed`},
		{"TreeCycle", func() []byte {
			c := tm.TreeRegressor()
			for _, a := range c.Model.Graph.Node[0].Attribute {
				if a.Name == "nodes_truenodeids" {
					a.Ints[1] = 0 // node 1 branches back to the root
				}
			}
			return tm.Bytes(c.Model)
		}(), graph.ErrInvalid, "is not a tree"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := graph.Load(tc.model)
			if !errors.Is(err, tc.is) {
				t.Fatalf("got %v, want %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("got %q, want it to contain %q", err, tc.message)
			}
		})
	}
}

func TestPredictFeatureCount(t *testing.T) {
	m, err := graph.Load(tm.Bytes(tm.Logistic().Model))
	if err != nil {
		t.Fatal(err)
	}
	err = m.Predict(make([]float64, 20), 1, 20, make([]float64, 1), 1)
	if !errors.Is(err, graph.ErrMapping) || !strings.Contains(err.Error(), "the model expects 4 inputs") || !strings.Contains(err.Error(), "the task has 20 features") {
		t.Fatalf("got %v", err)
	}
	err = m.Predict(make([]float64, 4), 1, 4, make([]float64, 3), 3)
	if !errors.Is(err, graph.ErrMapping) || !strings.Contains(err.Error(), "1 values per row") {
		t.Fatalf("got %v", err)
	}
}

func TestBenchModelsLoad(t *testing.T) {
	for name, m := range map[string]*onnx.ModelProto{"trees": tm.BenchTrees(20, 4, 8), "mlp": tm.BenchMLP(8, 16)} {
		g, err := graph.Load(tm.Bytes(m))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		y := make([]float64, 5)
		if err := g.Predict(tm.Rows(5, 8, false), 5, 8, y, 1); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i, v := range y {
			if !(v > 0 && v < 1) {
				t.Fatalf("%s: row %d: got %v, want a probability", name, i, v)
			}
		}
	}
}

func BenchmarkPredictNative(b *testing.B) {
	for name, m := range map[string]*onnx.ModelProto{"trees500": tm.BenchTrees(500, 6, 20), "mlp3": tm.BenchMLP(20, 64)} {
		b.Run(name, func(b *testing.B) {
			g, err := graph.Load(tm.Bytes(m))
			if err != nil {
				b.Fatal(err)
			}
			const rows = 1024
			x, y := tm.Rows(rows, 20, false), make([]float64, rows)
			b.ResetTimer()
			for range b.N {
				if err := g.Predict(x, rows, 20, y, 1); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
