package testmodels

import (
	"math"

	"github.com/advancedclimatesystems/gonnx/onnx"
)

// BenchTrees is an XGBoost-shaped binary classifier: trees full binary
// trees of the given depth over features features, one weight column,
// LOGISTIC. Thresholds and weights come from a fixed sequence.
func BenchTrees(trees, depth, features int) *onnx.ModelProto {
	var tid, nid, fid, tru, fal, ctid, cnid, cid []int64
	var vals, ws []float32
	var modes []string
	seq := 0
	next := func() float64 { seq++; return math.Sin(float64(seq) * 12.9898) }
	for t := range trees {
		nodes := 1<<(depth+1) - 1
		for n := range nodes {
			tid, nid = append(tid, int64(t)), append(nid, int64(n))
			if n >= 1<<depth-1 { // leaf
				fid, vals, modes = append(fid, 0), append(vals, 0), append(modes, "LEAF")
				tru, fal = append(tru, 0), append(fal, 0)
				ctid, cnid, cid = append(ctid, int64(t)), append(cnid, int64(n)), append(cid, 0)
				ws = append(ws, float32(next()*0.1))
				continue
			}
			fid = append(fid, int64((t*7+n*3)%features))
			vals = append(vals, float32(next()*2))
			modes = append(modes, "BRANCH_LT")
			tru, fal = append(tru, int64(2*n+1)), append(fal, int64(2*n+2))
		}
	}
	attrs := []*onnx.AttributeProto{
		AttrInts("nodes_treeids", tid...), AttrInts("nodes_nodeids", nid...), AttrInts("nodes_featureids", fid...),
		AttrFloats("nodes_values", vals...), AttrStrings("nodes_modes", modes...),
		AttrInts("nodes_truenodeids", tru...), AttrInts("nodes_falsenodeids", fal...),
		AttrInts("class_treeids", ctid...), AttrInts("class_nodeids", cnid...), AttrInts("class_ids", cid...),
		AttrFloats("class_weights", ws...), AttrInts("classlabels_int64s", 0, 1),
		AttrS("post_transform", "LOGISTIC"), AttrFloats("base_values", 0),
	}
	g := &onnx.GraphProto{Name: "bench_trees",
		Node:   []*onnx.NodeProto{Node("TreeEnsembleClassifier", "ai.onnx.ml", []string{"X"}, []string{"label", "probabilities"}, attrs...)},
		Input:  []*onnx.ValueInfoProto{Value("X", Float, -1, int64(features))},
		Output: []*onnx.ValueInfoProto{Value("label", Int64, -1), Value("probabilities", Float, -1, 2)},
	}
	return Model(g)
}

// BenchMLP is a 3-layer MLP (features -> hidden -> hidden -> 1, ReLU,
// sigmoid), torch.nn.Linear-shaped (Gemm with transB).
func BenchMLP(features, hidden int) *onnx.ModelProto {
	seq := 0
	w := func(n int) []float32 {
		out := make([]float32, n)
		for i := range out {
			seq++
			out[i] = float32(math.Sin(float64(seq)*0.731) * 0.3)
		}
		return out
	}
	g := &onnx.GraphProto{Name: "bench_mlp",
		Node: []*onnx.NodeProto{
			Node("Gemm", "", []string{"X", "W1", "B1"}, []string{"h1"}, AttrI("transB", 1)),
			Node("Relu", "", []string{"h1"}, []string{"r1"}),
			Node("Gemm", "", []string{"r1", "W2", "B2"}, []string{"h2"}, AttrI("transB", 1)),
			Node("Relu", "", []string{"h2"}, []string{"r2"}),
			Node("Gemm", "", []string{"r2", "W3", "B3"}, []string{"z"}, AttrI("transB", 1)),
			Node("Sigmoid", "", []string{"z"}, []string{"prob"}),
		},
		Initializer: []*onnx.TensorProto{
			Floats("W1", []int64{int64(hidden), int64(features)}, w(hidden*features)), Floats("B1", []int64{int64(hidden)}, w(hidden)),
			Floats("W2", []int64{int64(hidden), int64(hidden)}, w(hidden*hidden)), Floats("B2", []int64{int64(hidden)}, w(hidden)),
			Floats("W3", []int64{1, int64(hidden)}, w(hidden)), Floats("B3", []int64{1}, w(1)),
		},
		Input:  []*onnx.ValueInfoProto{Value("X", Float, -1, int64(features))},
		Output: []*onnx.ValueInfoProto{Value("prob", Float, -1, 1)},
	}
	return Model(g)
}
