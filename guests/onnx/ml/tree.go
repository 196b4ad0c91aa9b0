package ml

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/advancedclimatesystems/gonnx/ops"
	"gorgonia.org/tensor"
)

// MaxTreeNodes bounds the nodes of one tree ensemble (all trees).
const MaxTreeNodes = 1 << 22

// Node modes of a tree ensemble.
const (
	modeLeaf = iota
	modeLEQ
	modeLT
	modeGTE
	modeGT
	modeEQ
	modeNEQ
)

type treeNode struct {
	feature     int
	threshold   float64
	mode        int8
	missingTrue bool
	next        [2]int32 // true, false: indexes into ensemble.nodes
	leaf        []leafWeight
}

type leafWeight struct {
	target int
	weight float64
}

// ensemble is the part of TreeEnsembleRegressor and TreeEnsembleClassifier
// that walks trees.
type ensemble struct {
	nodes    []treeNode
	roots    []int32 // in ascending tree id
	features int     // 1 + the largest feature index
}

type nodeKey struct{ tree, node int64 }

// ensembleAttrs is what the two operators read of the node attributes.
type ensembleAttrs struct {
	treeIDs, nodeIDs, featureIDs, trueIDs, falseIDs, missing []int64
	values                                                   []float64
	modes                                                    []string
	// leaf weights: target_* (regressor) or class_* (classifier)
	wTree, wNode, wTarget []int64
	weights               []float64
}

func (a *ensembleAttrs) set(attr *onnx.AttributeProto) bool {
	switch attr.GetName() {
	case "nodes_treeids":
		a.treeIDs = attr.GetInts()
	case "nodes_nodeids":
		a.nodeIDs = attr.GetInts()
	case "nodes_featureids":
		a.featureIDs = attr.GetInts()
	case "nodes_truenodeids":
		a.trueIDs = attr.GetInts()
	case "nodes_falsenodeids":
		a.falseIDs = attr.GetInts()
	case "nodes_missing_value_tracks_true":
		a.missing = attr.GetInts()
	case "nodes_values", "nodes_values_as_tensor":
		a.values = floats(attr)
	case "nodes_modes":
		a.modes = strs(attr)
	case "nodes_hitrates", "nodes_hitrates_as_tensor":
	case "target_treeids", "class_treeids":
		a.wTree = attr.GetInts()
	case "target_nodeids", "class_nodeids":
		a.wNode = attr.GetInts()
	case "target_ids", "class_ids":
		a.wTarget = attr.GetInts()
	case "target_weights", "class_weights", "target_weights_as_tensor", "class_weights_as_tensor":
		a.weights = floats(attr)
	default:
		return false
	}
	return true
}

// build checks the attributes and links the trees. Every tree must be a
// tree: child ids exist in the same tree and no node is reached twice, so
// a walk ends after at most len(nodes) steps.
func (a *ensembleAttrs) build(op string, targets int) (*ensemble, error) {
	n := len(a.nodeIDs)
	if n == 0 {
		return nil, attrErr(op, "no nodes")
	}
	if n > MaxTreeNodes {
		return nil, attrErr(op, "%d nodes, limit is %d", n, MaxTreeNodes)
	}
	for _, c := range []struct {
		name string
		l    int
	}{{"nodes_treeids", len(a.treeIDs)}, {"nodes_featureids", len(a.featureIDs)}, {"nodes_values", len(a.values)},
		{"nodes_modes", len(a.modes)}, {"nodes_truenodeids", len(a.trueIDs)}, {"nodes_falsenodeids", len(a.falseIDs)}} {
		if c.l != n {
			return nil, attrErr(op, "%s has %d entries, nodes_nodeids has %d", c.name, c.l, n)
		}
	}
	if len(a.missing) != 0 && len(a.missing) != n {
		return nil, attrErr(op, "nodes_missing_value_tracks_true has %d entries, want %d", len(a.missing), n)
	}
	w := len(a.weights)
	if len(a.wTree) != w || len(a.wNode) != w || len(a.wTarget) != w {
		return nil, attrErr(op, "leaf weights: %d tree ids, %d node ids, %d target ids, %d weights: want equal counts",
			len(a.wTree), len(a.wNode), len(a.wTarget), w)
	}
	e := &ensemble{nodes: make([]treeNode, n)}
	index := make(map[nodeKey]int32, n)
	for i := range n {
		k := nodeKey{a.treeIDs[i], a.nodeIDs[i]}
		if _, dup := index[k]; dup {
			return nil, attrErr(op, "tree %d has node %d twice", k.tree, k.node)
		}
		index[k] = int32(i)
	}
	rootOf := map[int64]int32{}
	for i := range n {
		nd := &e.nodes[i]
		switch a.modes[i] {
		case "LEAF":
			nd.mode = modeLeaf
		case "BRANCH_LEQ":
			nd.mode = modeLEQ
		case "BRANCH_LT":
			nd.mode = modeLT
		case "BRANCH_GTE":
			nd.mode = modeGTE
		case "BRANCH_GT":
			nd.mode = modeGT
		case "BRANCH_EQ":
			nd.mode = modeEQ
		case "BRANCH_NEQ":
			nd.mode = modeNEQ
		default:
			return nil, attrErr(op, "node %d of tree %d has mode %q", a.nodeIDs[i], a.treeIDs[i], a.modes[i])
		}
		t := a.treeIDs[i]
		if r, ok := rootOf[t]; !ok || a.nodeIDs[i] < a.nodeIDs[r] {
			rootOf[t] = int32(i)
		}
		if nd.mode == modeLeaf {
			continue
		}
		f := a.featureIDs[i]
		if f < 0 || f >= 1<<20 {
			return nil, attrErr(op, "node %d of tree %d reads feature %d", a.nodeIDs[i], t, f)
		}
		nd.feature = int(f)
		e.features = max(e.features, nd.feature+1)
		nd.threshold = a.values[i]
		nd.missingTrue = len(a.missing) > 0 && a.missing[i] != 0
		for j, id := range []int64{a.trueIDs[i], a.falseIDs[i]} {
			c, ok := index[nodeKey{t, id}]
			if !ok {
				return nil, attrErr(op, "node %d of tree %d branches to node %d, which tree %d lacks", a.nodeIDs[i], t, id, t)
			}
			nd.next[j] = c
		}
	}
	for i := range w {
		c, ok := index[nodeKey{a.wTree[i], a.wNode[i]}]
		if !ok {
			return nil, attrErr(op, "a leaf weight names node %d of tree %d, which does not exist", a.wNode[i], a.wTree[i])
		}
		if t := a.wTarget[i]; t < 0 || t >= int64(targets) {
			return nil, attrErr(op, "a leaf weight of tree %d goes to target %d, want 0 to %d", a.wTree[i], t, targets-1)
		}
		e.nodes[c].leaf = append(e.nodes[c].leaf, leafWeight{int(a.wTarget[i]), a.weights[i]})
	}
	trees := make([]int64, 0, len(rootOf))
	for t := range rootOf {
		trees = append(trees, t)
	}
	slices.SortFunc(trees, cmp.Compare)
	seen := make([]bool, n)
	for _, t := range trees {
		r := rootOf[t]
		e.roots = append(e.roots, r)
		// Each node is reached from its tree's root at most once.
		stack := []int32{r}
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[i] {
				return nil, attrErr(op, "tree %d is not a tree: node %d is reached twice (a cycle or a shared child)", t, a.nodeIDs[i])
			}
			seen[i] = true
			if e.nodes[i].mode != modeLeaf {
				stack = append(stack, e.nodes[i].next[0], e.nodes[i].next[1])
			}
		}
	}
	return e, nil
}

// leaf walks the tree from root for row x and returns its leaf.
func (e *ensemble) leaf(root int32, x []float64) *treeNode {
	nd := &e.nodes[root]
	for nd.mode != modeLeaf {
		v, t := x[nd.feature], nd.threshold
		var ok bool
		switch nd.mode {
		case modeLEQ:
			ok = v <= t
		case modeLT:
			ok = v < t
		case modeGTE:
			ok = v >= t
		case modeGT:
			ok = v > t
		case modeEQ:
			ok = v == t
		case modeNEQ:
			ok = v != t
		}
		if !ok && nd.missingTrue && math.IsNaN(v) {
			ok = true
		}
		if ok {
			nd = &e.nodes[nd.next[0]]
		} else {
			nd = &e.nodes[nd.next[1]]
		}
	}
	return nd
}

func (e *ensemble) checkInput(op string, f int) error {
	if f < e.features {
		return fmt.Errorf("ml: %s: input has %d features, the trees read feature %d", op, f, e.features-1)
	}
	return nil
}

// TreeEnsembleRegressor is the ONNX-ML TreeEnsembleRegressor (opsets 1 and 3).
type TreeEnsembleRegressor struct {
	base
	attrs     ensembleAttrs
	e         *ensemble
	targets   int
	aggregate string
	baseVals  []float64
	transform postTransform
}

var _ ops.Operator = (*TreeEnsembleRegressor)(nil)

// NewTreeEnsembleRegressor returns an uninitialised operator.
func NewTreeEnsembleRegressor() ops.Operator {
	return &TreeEnsembleRegressor{base: base{"TreeEnsembleRegressor"}, targets: 1, aggregate: "SUM", transform: transformNone}
}

// Init reads and checks the attributes.
func (r *TreeEnsembleRegressor) Init(n *onnx.NodeProto) error {
	var err error
	for _, a := range n.GetAttribute() {
		if r.attrs.set(a) {
			continue
		}
		switch a.GetName() {
		case "n_targets":
			r.targets = int(a.GetI())
		case "aggregate_function":
			r.aggregate = string(a.GetS())
		case "base_values", "base_values_as_tensor":
			r.baseVals = floats(a)
		case "post_transform":
			if r.transform, err = parseTransform(r.name, string(a.GetS())); err != nil {
				return err
			}
		default:
			return attrErr(r.name, "unknown attribute %q", a.GetName())
		}
	}
	if r.targets < 1 || r.targets > 1<<16 {
		return attrErr(r.name, "n_targets is %d", r.targets)
	}
	switch r.aggregate {
	case "SUM", "AVERAGE", "MIN", "MAX":
	default:
		return attrErr(r.name, "aggregate_function %q is not SUM, AVERAGE, MIN or MAX", r.aggregate)
	}
	if len(r.baseVals) != 0 && len(r.baseVals) != r.targets {
		return attrErr(r.name, "%d base_values for %d targets", len(r.baseVals), r.targets)
	}
	r.e, err = r.attrs.build(r.name, r.targets)
	r.attrs = ensembleAttrs{}
	return err
}

// Apply predicts every row: Y is [N, n_targets] float32.
func (r *TreeEnsembleRegressor) Apply(in []tensor.Tensor) ([]tensor.Tensor, error) {
	x, n, f, err := rows(r.name, in[0])
	if err != nil {
		return nil, err
	}
	f32 := in[0].Dtype() == tensor.Float32
	if err := r.e.checkInput(r.name, f); err != nil {
		return nil, err
	}
	out := make([]float64, n*r.targets)
	score := make([]float64, r.targets)
	has := make([]bool, r.targets)
	for i := range n {
		row := x[i*f : (i+1)*f]
		clear(score)
		clear(has)
		for _, root := range r.e.roots {
			for _, w := range r.e.leaf(root, row).leaf {
				switch {
				case r.aggregate == "MIN" && has[w.target]:
					score[w.target] = min(score[w.target], w.weight)
				case r.aggregate == "MAX" && has[w.target]:
					score[w.target] = max(score[w.target], w.weight)
				default:
					score[w.target] = add(f32, score[w.target], w.weight)
				}
				has[w.target] = true
			}
		}
		for k := range score {
			if r.aggregate == "AVERAGE" {
				score[k] = round(f32, score[k]/float64(len(r.e.roots)))
			}
			if len(r.baseVals) > 0 {
				score[k] = add(f32, score[k], r.baseVals[k])
			}
		}
		r.transform.apply(score)
		copy(out[i*r.targets:], score)
	}
	return []tensor.Tensor{float32Tensor(out, n, r.targets)}, nil
}

// ValidateInputs checks the count and types of the inputs.
func (r *TreeEnsembleRegressor) ValidateInputs(in []tensor.Tensor) ([]tensor.Tensor, error) {
	return validate(r, in)
}

// TreeEnsembleClassifier is the ONNX-ML TreeEnsembleClassifier (opsets 1
// and 3).
type TreeEnsembleClassifier struct {
	base
	attrs     ensembleAttrs
	e         *ensemble
	labels    labels
	baseVals  []float64
	transform postTransform
	// binary: two labels and leaf weights for class 0 only (XGBoost,
	// gradient boosting): the score is of class 1.
	binary      bool
	allPositive bool
}

var _ ops.Operator = (*TreeEnsembleClassifier)(nil)

// NewTreeEnsembleClassifier returns an uninitialised operator.
func NewTreeEnsembleClassifier() ops.Operator {
	return &TreeEnsembleClassifier{base: base{"TreeEnsembleClassifier"}, transform: transformNone}
}

// Init reads and checks the attributes.
func (c *TreeEnsembleClassifier) Init(n *onnx.NodeProto) error {
	var err error
	for _, a := range n.GetAttribute() {
		if c.attrs.set(a) {
			continue
		}
		switch a.GetName() {
		case "classlabels_int64s":
			c.labels.ints = a.GetInts()
		case "classlabels_strings":
			c.labels.strs = strs(a)
		case "base_values", "base_values_as_tensor":
			c.baseVals = floats(a)
		case "post_transform":
			if c.transform, err = parseTransform(c.name, string(a.GetS())); err != nil {
				return err
			}
		default:
			return attrErr(c.name, "unknown attribute %q", a.GetName())
		}
	}
	k := c.labels.len()
	if k < 2 {
		return attrErr(c.name, "%d class labels, want at least 2", k)
	}
	if len(c.baseVals) != 0 && len(c.baseVals) != k && !(k == 2 && len(c.baseVals) == 1) {
		return attrErr(c.name, "%d base_values for %d classes", len(c.baseVals), k)
	}
	classes := map[int64]bool{}
	c.allPositive = true
	for i, id := range c.attrs.wTarget {
		classes[id] = true
		if c.attrs.weights[min(i, len(c.attrs.weights)-1)] < 0 {
			c.allPositive = false
		}
	}
	c.binary = k == 2 && len(classes) == 1
	if c.binary && c.transform == transformProbit {
		return attrErr(c.name, "post_transform PROBIT with one weight column is not supported")
	}
	c.e, err = c.attrs.build(c.name, k)
	c.attrs = ensembleAttrs{}
	return err
}

// Apply predicts every row: the label [N] (int64) and the class scores Z
// [N, classes] (float32).
func (c *TreeEnsembleClassifier) Apply(in []tensor.Tensor) ([]tensor.Tensor, error) {
	x, n, f, err := rows(c.name, in[0])
	if err != nil {
		return nil, err
	}
	f32 := in[0].Dtype() == tensor.Float32
	if err := c.e.checkInput(c.name, f); err != nil {
		return nil, err
	}
	k := c.labels.len()
	out := make([]float64, n*k)
	label := make([]int, n)
	score := make([]float64, k)
	for i := range n {
		row := x[i*f : (i+1)*f]
		clear(score)
		for _, root := range c.e.roots {
			for _, w := range c.e.leaf(root, row).leaf {
				score[w.target] = add(f32, score[w.target], w.weight)
			}
		}
		z := out[i*k : (i+1)*k]
		if !c.binary {
			for j := range score {
				if len(c.baseVals) == k {
					score[j] = add(f32, score[j], c.baseVals[j])
				}
			}
			if len(c.baseVals) == 1 {
				score[0] = add(f32, score[0], c.baseVals[0])
			}
			c.transform.apply(score)
			copy(z, score)
			label[i] = argmax(score)
			continue
		}
		// One weight column (ONNX Runtime's binary case): s scores class 1.
		s := score[0]
		for _, b := range c.baseVals[:min(1, len(c.baseVals))] {
			s = add(f32, s, b)
		}
		switch {
		case c.allPositive:
			label[i] = boolInt(s > 0.5)
			z[0], z[1] = 1-s, s
			c.transform.apply(z)
		case c.transform == transformLogistic:
			label[i] = boolInt(s > 0)
			z[0], z[1] = logistic(-s), logistic(s)
		default:
			label[i] = boolInt(s > 0)
			z[0], z[1] = -s, s
			c.transform.apply(z)
		}
	}
	return []tensor.Tensor{c.labels.tensor(label), float32Tensor(out, n, k)}, nil
}

// add is a + b in float32 (f32: a float32 input, whose scores ONNX
// Runtime and XGBoost accumulate in float32, tree by tree in order) or
// float64.
func add(f32 bool, a, b float64) float64 {
	if f32 {
		return float64(float32(a) + float32(b))
	}
	return a + b
}

func round(f32 bool, v float64) float64 {
	if f32 {
		return float64(float32(v))
	}
	return v
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ValidateInputs checks the count and types of the inputs.
func (c *TreeEnsembleClassifier) ValidateInputs(in []tensor.Tensor) ([]tensor.Tensor, error) {
	return validate(c, in)
}
