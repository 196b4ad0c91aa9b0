package onnx

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// Bounds of Inspect (the guest enforces the same on what it loads).
const (
	// MaxNodes bounds the nodes of the graph.
	MaxNodes = 4096
	// maxValues bounds graph inputs, outputs and initializers listed.
	maxValues = 1 << 16
	// maxDims bounds the dimensions of one value.
	maxDims = 16
)

// Info is what Inspect learned of a model.
type Info struct {
	IRVersion int64
	// Opsets maps each imported domain ("" for the default) to its version.
	Opsets map[string]int64
	// Nodes is the number of nodes; OpTypes the distinct operators, as
	// "Op" (default domain) or "domain:Op", in order of first use.
	Nodes   int
	OpTypes []string
	// Inputs are the graph inputs that are not initializers (what the
	// task's features feed); Outputs all graph outputs.
	Inputs, Outputs []Value
}

// Value is a graph input or output: a tensor's name, element type (ONNX
// TensorProto.DataType: 1 float, 7 int64, 8 string, 11 double) and shape.
type Value struct {
	Name     string
	ElemType int32
	Dims     []Dim
}

// Dim is one dimension: a fixed size, or a named (symbolic) one, or
// neither (unknown).
type Dim struct {
	Value int64
	Param string
}

func (d Dim) String() string {
	if d.Param != "" {
		return d.Param
	}
	if d.Value > 0 {
		return fmt.Sprint(d.Value)
	}
	return "?"
}

// Features returns the number of features a row of v holds: the product of
// its dimensions after the first (the batch), or an error if one of them
// is not fixed.
func (v Value) Features() (int, error) {
	if len(v.Dims) < 2 {
		return 0, fmt.Errorf("%w: input %q has shape %s, want [N, features]", ErrMapping, v.Name, v.shape())
	}
	n := int64(1)
	for i, d := range v.Dims[1:] {
		if d.Value <= 0 || d.Param != "" {
			return 0, fmt.Errorf("%w: input %q has shape %s: dimension %d is not fixed (only the batch may be dynamic)", ErrMapping, v.Name, v.shape(), i+1)
		}
		if n *= d.Value; n > 1<<26 {
			return 0, fmt.Errorf("%w: input %q has shape %s, more than %d features", ErrLimit, v.Name, v.shape(), 1<<26)
		}
	}
	return int(n), nil
}

func (v Value) shape() string {
	s := make([]string, len(v.Dims))
	for i, d := range v.Dims {
		s[i] = d.String()
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// CheckFeatures checks that the model takes one input whose rows hold as
// many values as the task has features (names, in ABI order), and has a
// float or double output.
func (info *Info) CheckFeatures(names []string) error {
	if len(info.Inputs) != 1 {
		var in []string
		for _, v := range info.Inputs {
			in = append(in, v.Name+" "+v.shape())
		}
		return fmt.Errorf("%w: the model has %d inputs (%s), want one tensor [N, %d] holding the task's features in order",
			ErrMapping, len(info.Inputs), strings.Join(in, ", "), len(names))
	}
	v := info.Inputs[0]
	if v.ElemType != 1 && v.ElemType != 11 {
		return fmt.Errorf("%w: input %q has element type %d, want float (1) or double (11)", ErrMapping, v.Name, v.ElemType)
	}
	n, err := v.Features()
	if err != nil {
		return err
	}
	if n != len(names) {
		return fmt.Errorf("%w: the model expects %d inputs (input %q, shape %s), the task has %d features: %s",
			ErrMapping, n, v.Name, v.shape(), len(names), strings.Join(names, ", "))
	}
	for _, o := range info.Outputs {
		if o.ElemType == 1 || o.ElemType == 11 {
			return nil
		}
	}
	return fmt.Errorf("%w: no output is a float or double tensor; export probabilities or values (without ZipMap)", ErrMapping)
}

// Inspect decodes the opsets, operators, inputs and outputs of an ONNX
// ModelProto, bounded by MaxModelBytes and MaxNodes. Everything else
// (tensor data, attributes) is skipped unread.
func Inspect(b []byte) (*Info, error) {
	if len(b) > MaxModelBytes {
		return nil, fmt.Errorf("%w: the model is %d bytes, limit is %d", ErrLimit, len(b), MaxModelBytes)
	}
	if IsWasm(b) {
		return nil, fmt.Errorf("%w: this is a WebAssembly module, not an ONNX model", ErrInvalid)
	}
	info := &Info{Opsets: map[string]int64{}}
	var graph []byte
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch {
		case num == 1 && typ == protowire.VarintType:
			info.IRVersion = int64(x)
		case num == 8 && typ == protowire.BytesType:
			var domain string
			var version int64
			if err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				switch {
				case num == 1 && typ == protowire.BytesType:
					domain = string(v)
				case num == 2 && typ == protowire.VarintType:
					version = int64(x)
				}
				return nil
			}); err != nil {
				return fmt.Errorf("opset_import: %w", err)
			}
			if domain == "ai.onnx" {
				domain = ""
			}
			if len(info.Opsets) >= 64 {
				return fmt.Errorf("%w: more than 64 opset imports", ErrLimit)
			}
			info.Opsets[domain] = version
		case num == 7 && typ == protowire.BytesType:
			graph = v
		}
		return nil
	})
	if err != nil {
		return nil, wrapInvalid(err)
	}
	if graph == nil {
		return nil, fmt.Errorf("%w: no graph (is this an ONNX model?)", ErrInvalid)
	}
	if len(info.Opsets) == 0 {
		return nil, fmt.Errorf("%w: the model imports no opset", ErrInvalid)
	}
	if err := info.graph(graph); err != nil {
		return nil, wrapInvalid(err)
	}
	return info, nil
}

func wrapInvalid(err error) error {
	if isLimit(err) || isInvalid(err) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrInvalid, err)
}

func (info *Info) graph(b []byte) error {
	var inputs []Value
	inits := map[string]bool{}
	seen := map[string]bool{}
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1: // node
			if info.Nodes++; info.Nodes > MaxNodes {
				return fmt.Errorf("%w: the graph has more than %d nodes", ErrLimit, MaxNodes)
			}
			var op, domain string
			if err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
				switch {
				case num == 4 && typ == protowire.BytesType:
					op = string(v)
				case num == 7 && typ == protowire.BytesType:
					domain = string(v)
				}
				return nil
			}); err != nil {
				return fmt.Errorf("node %d: %w", info.Nodes-1, err)
			}
			if op == "" {
				return fmt.Errorf("node %d has no op_type", info.Nodes-1)
			}
			key := op
			if domain != "" && domain != "ai.onnx" {
				key = domain + ":" + op
			}
			if !seen[key] {
				seen[key] = true
				info.OpTypes = append(info.OpTypes, key)
			}
		case 5: // initializer
			if len(inits) >= maxValues {
				return fmt.Errorf("%w: more than %d initializers", ErrLimit, maxValues)
			}
			name, err := tensorName(v)
			if err != nil {
				return fmt.Errorf("initializer %d: %w", len(inits), err)
			}
			inits[name] = true
		case 11, 12: // input, output
			if len(inputs)+len(info.Outputs) >= maxValues {
				return fmt.Errorf("%w: more than %d graph inputs and outputs", ErrLimit, maxValues)
			}
			val, err := valueInfo(v)
			if err != nil {
				return fmt.Errorf("graph input or output: %w", err)
			}
			if num == 11 {
				inputs = append(inputs, val)
			} else {
				info.Outputs = append(info.Outputs, val)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, v := range inputs {
		if !inits[v.Name] {
			info.Inputs = append(info.Inputs, v)
		}
	}
	if len(info.Outputs) == 0 {
		return fmt.Errorf("the graph has no outputs")
	}
	return nil
}

// tensorName reads TensorProto.name (field 8).
func tensorName(b []byte) (string, error) {
	var name string
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num == 8 && typ == protowire.BytesType {
			name = string(v)
		}
		return nil
	})
	return name, err
}

// valueInfo reads a ValueInfoProto: name (1), type (2) -> tensor_type (1)
// -> elem_type (1), shape (2) -> dim (1) -> dim_value (1) | dim_param (2).
func valueInfo(b []byte) (Value, error) {
	var val Value
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			val.Name = string(v)
		case num == 2 && typ == protowire.BytesType:
			return fields(v, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
				if num != 1 || typ != protowire.BytesType {
					return nil
				}
				return fields(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
					switch {
					case num == 1 && typ == protowire.VarintType:
						val.ElemType = int32(x)
					case num == 2 && typ == protowire.BytesType:
						return fields(v, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
							if num != 1 || typ != protowire.BytesType {
								return nil
							}
							if len(val.Dims) >= maxDims {
								return fmt.Errorf("%w: more than %d dimensions", ErrLimit, maxDims)
							}
							var d Dim
							err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
								switch {
								case num == 1 && typ == protowire.VarintType:
									d.Value = int64(x)
								case num == 2 && typ == protowire.BytesType:
									d.Param = string(v)
								}
								return nil
							})
							val.Dims = append(val.Dims, d)
							return err
						})
					}
					return nil
				})
			})
		}
		return nil
	})
	if err != nil {
		return val, err
	}
	if val.Name == "" {
		return val, fmt.Errorf("a graph input or output has no name")
	}
	return val, nil
}

// fields calls fn for each field of the protobuf message b: v is the
// payload of a length-delimited field, x the value of a varint or fixed
// one. Groups are refused (ONNX has none).
func fields(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("bad field tag: %w", protowire.ParseError(n))
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var y uint32
			y, n = protowire.ConsumeFixed32(b)
			x = uint64(y)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			return fmt.Errorf("field %d has wire type %d, which ONNX does not use", num, typ)
		}
		if n < 0 {
			return fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := fn(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}
