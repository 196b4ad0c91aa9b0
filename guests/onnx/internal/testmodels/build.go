// Package testmodels builds small ONNX models in Go (with gonnx's
// protobuf types) and computes what they must predict with plain Go code,
// independently of the runtime under test.
package testmodels

import (
	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"
)

// Elem types.
const (
	Float  = int32(onnx.TensorProto_FLOAT)
	Int64  = int32(onnx.TensorProto_INT64)
	Double = int32(onnx.TensorProto_DOUBLE)
)

// Value returns a tensor value info; a dim of -1 is the symbolic "N".
func Value(name string, elem int32, dims ...int64) *onnx.ValueInfoProto {
	shape := &onnx.TensorShapeProto{}
	for _, d := range dims {
		dim := &onnx.TensorShapeProto_Dimension{}
		if d < 0 {
			dim.Value = &onnx.TensorShapeProto_Dimension_DimParam{DimParam: "N"}
		} else {
			dim.Value = &onnx.TensorShapeProto_Dimension_DimValue{DimValue: d}
		}
		shape.Dim = append(shape.Dim, dim)
	}
	return &onnx.ValueInfoProto{Name: name, Type: &onnx.TypeProto{Value: &onnx.TypeProto_TensorType{
		TensorType: &onnx.TypeProto_Tensor{ElemType: elem, Shape: shape}}}}
}

// Floats returns a float initializer.
func Floats(name string, dims []int64, v []float32) *onnx.TensorProto {
	return &onnx.TensorProto{Name: name, Dims: dims, DataType: Float, FloatData: v}
}

// Node returns a node.
func Node(op, domain string, in, out []string, attrs ...*onnx.AttributeProto) *onnx.NodeProto {
	return &onnx.NodeProto{OpType: op, Domain: domain, Input: in, Output: out, Name: op + "_" + out[0], Attribute: attrs}
}

// AttrI, AttrF, AttrS, AttrInts, AttrFloats, AttrStrings build attributes.
func AttrI(n string, v int64) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: n, Type: onnx.AttributeProto_INT, I: v}
}
func AttrF(n string, v float32) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: n, Type: onnx.AttributeProto_FLOAT, F: v}
}
func AttrS(n string, v string) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: n, Type: onnx.AttributeProto_STRING, S: []byte(v)}
}
func AttrInts(n string, v ...int64) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: n, Type: onnx.AttributeProto_INTS, Ints: v}
}
func AttrFloats(n string, v ...float32) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: n, Type: onnx.AttributeProto_FLOATS, Floats: v}
}
func AttrStrings(n string, v ...string) *onnx.AttributeProto {
	a := &onnx.AttributeProto{Name: n, Type: onnx.AttributeProto_STRINGS}
	for _, s := range v {
		a.Strings = append(a.Strings, []byte(s))
	}
	return a
}

// Model wraps a graph with opset 13 and ai.onnx.ml opset 3.
func Model(g *onnx.GraphProto) *onnx.ModelProto {
	return &onnx.ModelProto{IrVersion: 8, ProducerName: "verdict testmodels", Graph: g, OpsetImport: []*onnx.OperatorSetIdProto{
		{Domain: "", Version: 13}, {Domain: "ai.onnx.ml", Version: 3}}}
}

// Bytes marshals m deterministically.
func Bytes(m *onnx.ModelProto) []byte {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}
