package graph

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/advancedclimatesystems/gonnx/ops"
	"google.golang.org/protobuf/proto"
	"gorgonia.org/tensor"
)

// Bounds on a graph, checked before anything is allocated from it.
const (
	// MaxNodes bounds the nodes of a graph.
	MaxNodes = 4096
	// MaxTensorElements bounds the elements of one tensor (initializer,
	// Constant or input row block).
	MaxTensorElements = 1 << 26
)

// Model is a loaded ONNX graph, checked and ready to predict.
type Model struct {
	nodes   []node
	params  map[string]tensor.Tensor
	input   string
	dtype   tensor.Dtype // of the input: Float32 or Float64
	dims    []int        // of one row block: dims[0] is the batch (0 = any)
	feats   int          // features per row: product of dims[1:]
	output  string
	Opsets  map[string]int64
	OpTypes []string
}

type node struct {
	op   ops.Operator
	name string // for errors: op type and node name
	in   []string
	out  []string
}

type identity struct{}

func (identity) String() string                            { return "Identity operator" }
func (identity) Init(*onnx.NodeProto) error                { return nil }
func (identity) GetMinInputs() int                         { return 1 }
func (identity) GetMaxInputs() int                         { return 3 }
func (identity) GetInputTypeConstraints() [][]tensor.Dtype { return nil }
func (identity) ValidateInputs(in []tensor.Tensor) ([]tensor.Tensor, error) {
	if len(in) == 0 || in[0] == nil {
		return nil, fmt.Errorf("%w: Identity without input", ErrInvalid)
	}
	return in, nil
}
func (identity) Apply(in []tensor.Tensor) ([]tensor.Tensor, error) { return in[:1], nil }

// Load decodes and checks an ONNX model: opsets, operators (every
// unsupported one is named), graph order (a node may only read graph
// inputs, initializers and outputs of earlier nodes, so cycles are
// refused), tensor shapes against their data, and the single input and
// first float output verdict maps the task's features and predictions to.
func Load(b []byte) (m *Model, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("%w: %v", ErrInvalid, r)
		}
	}()
	mp := &onnx.ModelProto{}
	if err := proto.Unmarshal(b, mp); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecode, err)
	}
	g := mp.GetGraph()
	if g == nil {
		return nil, fmt.Errorf("%w: the model has no graph", ErrInvalid)
	}
	m = &Model{Opsets: map[string]int64{}, params: map[string]tensor.Tensor{}}
	for _, o := range mp.GetOpsetImport() {
		d := o.GetDomain()
		if d == "ai.onnx" {
			d = DomainDefault
		}
		m.Opsets[d] = o.GetVersion()
	}
	if len(m.Opsets) == 0 {
		return nil, fmt.Errorf("%w: the model imports no opset", ErrInvalid)
	}
	if n := len(g.GetNode()); n > MaxNodes {
		return nil, fmt.Errorf("%w: the graph has %d nodes, limit is %d", ErrLimit, n, MaxNodes)
	}
	if err := m.checkOps(g); err != nil {
		return nil, err
	}
	if err := checkOpsets(m.Opsets); err != nil {
		return nil, err
	}
	for _, t := range g.GetInitializer() {
		v, err := tensorFromProto(t)
		if err != nil {
			return nil, err
		}
		m.params[t.GetName()] = v
	}
	if err := m.mapInput(g); err != nil {
		return nil, err
	}
	defined := map[string]bool{m.input: true}
	for n := range m.params {
		defined[n] = true
	}
	for i, np := range g.GetNode() {
		d := np.GetDomain()
		op, _ := newOp(d, np.GetOpType())
		nd := node{op: op, name: nodeName(i, np), in: np.GetInput(), out: np.GetOutput()}
		if np.GetOpType() == "Constant" {
			for _, a := range np.GetAttribute() {
				if t := a.GetT(); t != nil {
					if err := checkTensor(t); err != nil {
						return nil, fmt.Errorf("%s: %w", nd.name, err)
					}
				}
			}
		}
		if err := op.Init(np); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, nd.name, err)
		}
		for _, in := range nd.in {
			if in != "" && !defined[in] {
				return nil, fmt.Errorf("%w: %s reads %q, which no earlier node, initializer or graph input defines (the graph is cyclic or out of order)", ErrInvalid, nd.name, in)
			}
		}
		for _, out := range nd.out {
			if defined[out] {
				return nil, fmt.Errorf("%w: %s writes %q, which is already defined", ErrInvalid, nd.name, out)
			}
			defined[out] = true
		}
		m.nodes = append(m.nodes, nd)
	}
	return m, m.mapOutput(g, defined)
}

func nodeName(i int, np *onnx.NodeProto) string {
	if np.GetName() != "" {
		return fmt.Sprintf("node %d (%s %q)", i, np.GetOpType(), np.GetName())
	}
	return fmt.Sprintf("node %d (%s)", i, np.GetOpType())
}

// checkOps names every operator verdict does not run.
func (m *Model) checkOps(g *onnx.GraphProto) error {
	var bad []string
	seen := map[string]bool{}
	for _, np := range g.GetNode() {
		d, t := np.GetDomain(), np.GetOpType()
		key := t
		if d != "" && d != "ai.onnx" {
			key = d + ":" + t
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		m.OpTypes = append(m.OpTypes, key)
		if _, ok := newOp(d, t); ok {
			continue
		}
		dom := d
		if dom == "ai.onnx" {
			dom = ""
		}
		v, imported := m.Opsets[dom]
		switch {
		case !imported:
			bad = append(bad, fmt.Sprintf("%s (domain %q, not imported)", t, d))
		case dom == "":
			bad = append(bad, fmt.Sprintf("%s (opset %d)", t, v))
		default:
			bad = append(bad, fmt.Sprintf("%s (%s opset %d)", t, dom, v))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: operators %s; verdict runs %s", ErrUnsupported, strings.Join(bad, ", "), strings.Join(Supported(), ", "))
	}
	return nil
}

// elems is the product of dims, or an error if a dim is negative or the
// product exceeds MaxTensorElements.
func elems(dims []int64) (int, error) {
	n := int64(1)
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("%w: negative dimension %d in %v", ErrInvalid, d, dims)
		}
		if d > 0 && n > MaxTensorElements/d {
			return 0, fmt.Errorf("%w: a tensor of shape %v has more than %d elements", ErrLimit, dims, MaxTensorElements)
		}
		n *= d
	}
	if n > MaxTensorElements {
		return 0, fmt.Errorf("%w: a tensor of shape %v has more than %d elements", ErrLimit, dims, MaxTensorElements)
	}
	return int(n), nil
}

// checkTensor checks that a tensor's data matches its shape.
func checkTensor(t *onnx.TensorProto) error {
	if t.GetDataLocation() == onnx.TensorProto_EXTERNAL || len(t.GetExternalData()) > 0 {
		return fmt.Errorf("%w: tensor %q keeps its data in an external file; export it inside the model", ErrUnsupported, t.GetName())
	}
	n, err := elems(t.GetDims())
	if err != nil {
		return fmt.Errorf("tensor %q: %w", t.GetName(), err)
	}
	var size, have int
	switch onnx.TensorProto_DataType(t.GetDataType()) {
	case onnx.TensorProto_FLOAT:
		size, have = 4, len(t.GetFloatData())
	case onnx.TensorProto_DOUBLE:
		size, have = 8, len(t.GetDoubleData())
	case onnx.TensorProto_INT64:
		size, have = 8, len(t.GetInt64Data())
	case onnx.TensorProto_INT32, onnx.TensorProto_INT16, onnx.TensorProto_INT8, onnx.TensorProto_UINT8, onnx.TensorProto_UINT16, onnx.TensorProto_BOOL:
		size, have = [...]int{onnx.TensorProto_INT32: 4, onnx.TensorProto_INT16: 2, onnx.TensorProto_INT8: 1,
			onnx.TensorProto_UINT8: 1, onnx.TensorProto_UINT16: 2, onnx.TensorProto_BOOL: 1}[t.GetDataType()], len(t.GetInt32Data())
	case onnx.TensorProto_UINT32, onnx.TensorProto_UINT64:
		size, have = 4, len(t.GetUint64Data())
		if t.GetDataType() == int32(onnx.TensorProto_UINT64) {
			size = 8
		}
	default:
		return fmt.Errorf("%w: tensor %q has data type %s", ErrUnsupported, t.GetName(), onnx.TensorProto_DataType(t.GetDataType()))
	}
	if raw := t.GetRawData(); len(raw) > 0 {
		have = len(raw) / size
		if len(raw)%size != 0 {
			return fmt.Errorf("%w: tensor %q has %d bytes of raw data, not a multiple of %d", ErrInvalid, t.GetName(), len(raw), size)
		}
	}
	if have != n {
		return fmt.Errorf("%w: tensor %q has shape %v (%d elements) but %d values", ErrInvalid, t.GetName(), t.GetDims(), n, have)
	}
	return nil
}

func tensorFromProto(t *onnx.TensorProto) (tensor.Tensor, error) {
	if err := checkTensor(t); err != nil {
		return nil, err
	}
	v, err := onnx.TensorFromProto(t)
	if err != nil {
		return nil, fmt.Errorf("%w: tensor %q: %v", ErrInvalid, t.GetName(), err)
	}
	return v, nil
}

// mapInput finds the graph's one non-initializer input: float or double,
// [batch, d1, ...] with fixed d1... (its product is the feature count).
func (m *Model) mapInput(g *onnx.GraphProto) error {
	var names []string
	var vi *onnx.ValueInfoProto
	for _, in := range g.GetInput() {
		if _, ok := m.params[in.GetName()]; ok {
			continue
		}
		names = append(names, in.GetName())
		vi = in
	}
	if len(names) != 1 {
		return fmt.Errorf("%w: the graph has %d inputs besides initializers (%s), want 1: one tensor [N, features] of float or double",
			ErrMapping, len(names), strings.Join(names, ", "))
	}
	m.input = vi.GetName()
	tt := vi.GetType().GetTensorType()
	if tt == nil {
		return fmt.Errorf("%w: input %q is not a tensor", ErrMapping, m.input)
	}
	switch onnx.TensorProto_DataType(tt.GetElemType()) {
	case onnx.TensorProto_FLOAT:
		m.dtype = tensor.Float32
	case onnx.TensorProto_DOUBLE:
		m.dtype = tensor.Float64
	default:
		return fmt.Errorf("%w: input %q has element type %s, want float or double", ErrMapping, m.input, onnx.TensorProto_DataType(tt.GetElemType()))
	}
	dims := tt.GetShape().GetDim()
	if len(dims) < 2 || len(dims) > 8 {
		return fmt.Errorf("%w: input %q has %d dimensions, want [N, features] (or [N, c, h, w])", ErrMapping, m.input, len(dims))
	}
	m.dims = make([]int, len(dims))
	m.feats = 1
	for i, d := range dims {
		v, fixed := d.GetDimValue(), d.GetDimParam() == "" && d.GetDimValue() > 0
		if i == 0 {
			if fixed {
				m.dims[0] = int(v)
			}
			continue
		}
		if !fixed {
			return fmt.Errorf("%w: input %q has a dynamic dimension %d (%q); only the first (batch) may be dynamic", ErrMapping, m.input, i, d.GetDimParam())
		}
		m.dims[i] = int(v)
		m.feats *= int(v)
		if m.feats > MaxTensorElements {
			return fmt.Errorf("%w: input %q has more than %d features", ErrLimit, m.input, MaxTensorElements)
		}
	}
	if m.dims[0] > 1<<16 {
		return fmt.Errorf("%w: input %q has a fixed batch of %d rows", ErrLimit, m.input, m.dims[0])
	}
	return nil
}

// mapOutput picks the first graph output of float or double element type
// (exporters put the label, int64 or string, first and the probabilities
// second).
func (m *Model) mapOutput(g *onnx.GraphProto, defined map[string]bool) error {
	var names []string
	for _, out := range g.GetOutput() {
		names = append(names, out.GetName())
		if !defined[out.GetName()] {
			return fmt.Errorf("%w: graph output %q is not computed by any node", ErrInvalid, out.GetName())
		}
		if m.output != "" {
			continue
		}
		tt := out.GetType().GetTensorType()
		if tt == nil {
			continue
		}
		switch onnx.TensorProto_DataType(tt.GetElemType()) {
		case onnx.TensorProto_FLOAT, onnx.TensorProto_DOUBLE:
			m.output = out.GetName()
		}
	}
	if m.output == "" {
		return fmt.Errorf("%w: no graph output is a float or double tensor (outputs: %s); export probabilities or values, without ZipMap",
			ErrMapping, strings.Join(names, ", "))
	}
	return nil
}

// Input describes the graph input verdict feeds.
func (m *Model) Input() (name string, features int) { return m.input, m.feats }

// Output is the graph output verdict reads.
func (m *Model) Output() string { return m.output }

// Predict runs the graph on rows×cols features, column-major float64 (the
// guest ABI's layout), and writes outs predictions per row to y,
// column-major: all of a width-outs output; column 1 of a two-column
// output when outs is 1 (the probability of class 1).
func (m *Model) Predict(x []float64, rows, cols int, y []float64, outs int) (err error) {
	if cols != m.feats {
		return fmt.Errorf("%w: the model expects %d inputs (input %q, shape %v), the task has %d features", ErrMapping, m.feats, m.input, m.dims, cols)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrRun, r)
		}
	}()
	block := rows
	if m.dims[0] > 0 {
		block = m.dims[0]
	}
	if block*cols > MaxTensorElements {
		block = max(1, MaxTensorElements/cols)
	}
	for lo := 0; lo < rows; lo += block {
		n := min(block, rows-lo)
		if err := m.predictBlock(x, rows, cols, lo, n, block, y, outs); err != nil {
			return err
		}
	}
	return nil
}

// predictBlock predicts rows [lo, lo+n) as one tensor of batch rows
// (padded with the last row if the graph's batch is fixed).
func (m *Model) predictBlock(x []float64, rows, cols, lo, n, batch int, y []float64, outs int) error {
	if m.dims[0] == 0 {
		batch = n
	}
	shape := slices.Clone(m.dims)
	shape[0] = batch
	var in tensor.Tensor
	switch m.dtype {
	case tensor.Float32:
		b := make([]float32, batch*cols)
		for i := range batch {
			r := lo + min(i, n-1)
			for j := range cols {
				b[i*cols+j] = float32(x[j*rows+r])
			}
		}
		in = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(b))
	default:
		b := make([]float64, batch*cols)
		for i := range batch {
			r := lo + min(i, n-1)
			for j := range cols {
				b[i*cols+j] = x[j*rows+r]
			}
		}
		in = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(b))
	}
	out, err := m.run(in)
	if err != nil {
		return err
	}
	vals, err := floatData(out)
	if err != nil {
		return fmt.Errorf("%w: output %q: %v", ErrRun, m.output, err)
	}
	if len(vals)%batch != 0 || len(vals) == 0 {
		return fmt.Errorf("%w: output %q has %d values for %d rows", ErrMapping, m.output, len(vals), batch)
	}
	width := len(vals) / batch
	col := 0
	switch {
	case width == outs:
	case outs == 1 && width == 2:
		col = 1
	default:
		return fmt.Errorf("%w: output %q has %d values per row (shape %v), the task wants %d (binary: the probability of class 1 or two class probabilities; multiclass: one probability per class; regression: one value)",
			ErrMapping, m.output, width, out.Shape(), outs)
	}
	for i := range n {
		for k := range outs {
			y[k*rows+lo+i] = vals[i*width+col+k]
		}
	}
	return nil
}

func floatData(t tensor.Tensor) ([]float64, error) {
	switch b := t.Data().(type) {
	case []float32:
		out := make([]float64, len(b))
		for i, v := range b {
			out[i] = float64(v)
		}
		return out, nil
	case []float64:
		return b, nil
	case float32:
		return []float64{float64(b)}, nil
	case float64:
		return []float64{b}, nil
	}
	return nil, fmt.Errorf("type %T, want float or double", t.Data())
}

// run executes the nodes in order on one input tensor.
func (m *Model) run(in tensor.Tensor) (tensor.Tensor, error) {
	vals := make(map[string]tensor.Tensor, len(m.params)+2*len(m.nodes)+1)
	for k, v := range m.params {
		vals[k] = v
	}
	vals[m.input] = in
	for _, nd := range m.nodes {
		args := make([]tensor.Tensor, len(nd.in))
		for i, name := range nd.in {
			if name != "" {
				args[i] = vals[name]
			}
		}
		args, err := nd.op.ValidateInputs(args)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrRun, nd.name, err)
		}
		res, err := applyOp(nd.op, args)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrRun, nd.name, err)
		}
		if len(res) < len(nd.out) {
			if _, ok := nd.op.(identity); !ok || len(nd.out) > 1 && nd.out[1] != "" {
				return nil, fmt.Errorf("%w: %s gave %d outputs, the graph wants %d", ErrRun, nd.name, len(res), len(nd.out))
			}
		}
		for i, name := range nd.out {
			if i < len(res) && name != "" {
				if n := res[i].Shape().TotalSize(); n > MaxTensorElements {
					return nil, fmt.Errorf("%w: %s made a tensor of %d elements, limit is %d", ErrLimit, nd.name, n, MaxTensorElements)
				}
				vals[name] = res[i]
			}
		}
	}
	out := vals[m.output]
	if out == nil {
		return nil, fmt.Errorf("%w: output %q was not computed", ErrRun, m.output)
	}
	return out, nil
}

func applyOp(op ops.Operator, args []tensor.Tensor) (res []tensor.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	res, err = op.Apply(args)
	for _, t := range res {
		if t == nil && err == nil {
			err = errors.New("no output tensor")
		}
	}
	return res, err
}
