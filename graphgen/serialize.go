package graphgen

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"
)

// Opset is the ONNX default-domain opset the graphs target.
const Opset = 17

const irVersion = 8 // the IR version that goes with opset 17

// attrInputs lists, per op, the attributes that opset 17 takes as int64
// tensor inputs (in input order) rather than as attributes.
var attrInputs = map[string][]string{
	"Reshape":   {"shape"},
	"Expand":    {"shape"},
	"ReduceSum": {"axes"},
	"Squeeze":   {"axes"},
	"Unsqueeze": {"axes"},
	"Slice":     {"starts", "ends", "axes", "steps"},
	"Pad":       {"pads"},
}

// Model serialises the graph's outputs and what they need to ModelProto bytes.
func (g *Graph) Model() ([]byte, error) {
	m, err := g.ModelProto()
	if err != nil {
		return nil, err
	}
	return proto.Marshal(m)
}

// ModelProto builds the ModelProto of the graph, keeping only the nodes the
// outputs depend on.
func (g *Graph) ModelProto() (m *onnx.ModelProto, err error) {
	err = Catch(func() { m = g.modelProto() })
	return m, err
}

func (g *Graph) modelProto() *onnx.ModelProto {
	if len(g.outputs) == 0 {
		fail("Model", "graph %q has no outputs", g.Name)
	}
	gp := &onnx.GraphProto{Name: g.Name}
	for _, v := range g.inputs {
		gp.Input = append(gp.Input, g.valueInfo(v))
	}
	for _, v := range g.params {
		if g.ParamsAsInputs {
			gp.Input = append(gp.Input, g.valueInfo(v))
		} else {
			gp.Initializer = append(gp.Initializer, tensorProto(v.name, v.dtype, v.shape, v.data))
		}
	}
	needed, usedConsts := g.live()
	for _, c := range g.consts {
		if usedConsts[c] {
			gp.Initializer = append(gp.Initializer, tensorProto(c.name, c.dtype, c.shape, c.data))
		}
	}
	for _, n := range g.nodes {
		if needed[n] {
			np, extra := g.nodeProto(n)
			gp.Node = append(gp.Node, np)
			gp.Initializer = append(gp.Initializer, extra...)
		}
	}
	for _, v := range g.outputs {
		gp.Output = append(gp.Output, g.valueInfo(v))
	}
	m := &onnx.ModelProto{
		IrVersion:    irVersion,
		ProducerName: "asvit",
		OpsetImport:  []*onnx.OperatorSetIdProto{{Domain: "", Version: Opset}},
		Graph:        gp,
	}
	keys := make([]string, 0, len(g.Metadata))
	for k := range g.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m.MetadataProps = append(m.MetadataProps, &onnx.StringStringEntryProto{Key: k, Value: g.Metadata[k]})
	}
	return m
}

// live marks the nodes and constants that the outputs depend on.
func (g *Graph) live() (map[*Node]bool, map[*Value]bool) {
	nodes, consts := map[*Node]bool{}, map[*Value]bool{}
	stack := slices.Clone(g.outputs)
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch {
		case v.kind == kindConst:
			consts[v] = true
		case v.node != nil && !nodes[v.node]:
			nodes[v.node] = true
			for _, in := range v.node.Inputs {
				if in != nil {
					stack = append(stack, in)
				}
			}
		}
	}
	return nodes, consts
}

func (g *Graph) nodeProto(n *Node) (*onnx.NodeProto, []*onnx.TensorProto) {
	np := &onnx.NodeProto{Name: n.Name, OpType: n.Op}
	for _, in := range n.Inputs {
		if in == nil {
			np.Input = append(np.Input, "")
		} else {
			np.Input = append(np.Input, in.name)
		}
	}
	var extra []*onnx.TensorProto
	asInput := attrInputs[n.Op]
	for _, key := range asInput {
		vals := slices.Clone(n.Attrs[key].([]int64))
		if g.DynamicBatch && key == "shape" && len(vals) > 0 {
			if n.Op == "Reshape" {
				vals[0] = -1
			} else {
				vals[0] = 1 // Expand broadcasts dimension 0 as it is
			}
		}
		name := n.Name + "/" + key
		extra = append(extra, tensorProto(name, Int64, []int{len(vals)}, vals))
		np.Input = append(np.Input, name)
	}
	for _, out := range n.Outputs {
		np.Output = append(np.Output, out.name)
	}
	keys := make([]string, 0, len(n.Attrs))
	for k := range n.Attrs {
		if !slices.Contains(asInput, k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		np.Attribute = append(np.Attribute, attrProto(n, k))
	}
	return np, extra
}

func attrProto(n *Node, key string) *onnx.AttributeProto {
	a := &onnx.AttributeProto{Name: key}
	switch v := n.Attrs[key].(type) {
	case int64:
		a.Type, a.I = onnx.AttributeProto_INT, v
	case float32:
		a.Type, a.F = onnx.AttributeProto_FLOAT, v
	case string:
		a.Type, a.S = onnx.AttributeProto_STRING, []byte(v)
	case []int64:
		a.Type, a.Ints = onnx.AttributeProto_INTS, v
	case []float32:
		a.Type, a.Floats = onnx.AttributeProto_FLOATS, v
	default:
		fail(n.Op, "attribute %s has unsupported type %T", key, v)
	}
	return a
}

func (g *Graph) valueInfo(v *Value) *onnx.ValueInfoProto {
	shape := &onnx.TensorShapeProto{}
	for i, d := range v.shape {
		dim := &onnx.TensorShapeProto_Dimension{Value: &onnx.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}}
		switch {
		case d == Dynamic:
			dim.Value = &onnx.TensorShapeProto_Dimension_DimParam{DimParam: v.dyn}
		case i == 0 && g.DynamicBatch:
			dim.Value = &onnx.TensorShapeProto_Dimension_DimParam{DimParam: "N"}
		}
		shape.Dim = append(shape.Dim, dim)
	}
	return &onnx.ValueInfoProto{
		Name: v.name,
		Type: &onnx.TypeProto{Value: &onnx.TypeProto_TensorType{TensorType: &onnx.TypeProto_Tensor{
			ElemType: int32(v.dtype.proto()),
			Shape:    shape,
		}}},
	}
}

func tensorProto(name string, dt DType, shape []int, data any) *onnx.TensorProto {
	t := &onnx.TensorProto{Name: name, DataType: int32(dt.proto()), Dims: ints64(shape)}
	switch d := data.(type) {
	case []float32:
		raw := make([]byte, 4*len(d))
		for i, x := range d {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
		}
		t.RawData = raw
	case []float64:
		raw := make([]byte, 8*len(d))
		for i, x := range d {
			binary.LittleEndian.PutUint64(raw[8*i:], math.Float64bits(x))
		}
		t.RawData = raw
	case []int64:
		raw := make([]byte, 8*len(d))
		for i, x := range d {
			binary.LittleEndian.PutUint64(raw[8*i:], uint64(x))
		}
		t.RawData = raw
	case []bool:
		raw := make([]byte, len(d))
		for i, x := range d {
			if x {
				raw[i] = 1
			}
		}
		t.RawData = raw
	default:
		panic(&BuildError{Op: "Model", Msg: fmt.Sprintf("tensor %s has no data", name)})
	}
	return t
}
