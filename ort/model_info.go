package ort

import (
	"errors"
	"fmt"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"
)

// ValueInfo describes one input or output as a model declares it.
type ValueInfo struct {
	Name string
	// Type is the element type, or 0 when the value is not a tensor.
	Type DataType
	// Shape holds the declared dimensions, -1 for each dynamic one. It is
	// nil when the model does not declare a rank, and empty for a scalar.
	Shape []int64
}

// String describes the value as name, type and shape, such as
// `"x" float32 [-1 3]`.
func (v ValueInfo) String() string {
	if v.Shape == nil {
		return fmt.Sprintf("%q %s (rank not declared)", v.Name, v.Type)
	}
	return fmt.Sprintf("%q %s %v", v.Name, v.Type, v.Shape)
}

// ModelInfo lists the inputs a caller must feed and the outputs a model
// declares, in declaration order, by decoding the ONNX protobuf in model.
// Graph inputs that also have an initializer are optional overrides and are
// not listed. It does not need the runtime library and does not check that
// the graph is valid: NewSession does that.
func ModelInfo(model []byte) (inputs, outputs []ValueInfo, err error) {
	if len(model) == 0 {
		return nil, nil, errors.New("read model: model bytes are empty")
	}
	var m onnx.ModelProto
	if err := proto.Unmarshal(model, &m); err != nil {
		return nil, nil, fmt.Errorf("read model: not an ONNX protobuf (%d bytes): %w", len(model), err)
	}
	g := m.GetGraph()
	if g == nil {
		return nil, nil, errors.New("read model: the model has no graph")
	}
	initialized := make(map[string]bool, len(g.GetInitializer()))
	for _, t := range g.GetInitializer() {
		initialized[t.GetName()] = true
	}
	for _, v := range g.GetInput() {
		if !initialized[v.GetName()] {
			inputs = append(inputs, valueInfo(v))
		}
	}
	for _, v := range g.GetOutput() {
		outputs = append(outputs, valueInfo(v))
	}
	return inputs, outputs, nil
}

func valueInfo(v *onnx.ValueInfoProto) ValueInfo {
	info := ValueInfo{Name: v.GetName()}
	t := v.GetType().GetTensorType()
	if t == nil {
		return info
	}
	info.Type = DataType(t.GetElemType())
	if t.GetShape() == nil {
		return info
	}
	info.Shape = make([]int64, len(t.GetShape().GetDim()))
	for i, d := range t.GetShape().GetDim() {
		info.Shape[i] = -1
		if v, ok := d.GetValue().(*onnx.TensorShapeProto_Dimension_DimValue); ok && v.DimValue >= 0 {
			info.Shape[i] = v.DimValue
		}
	}
	return info
}

// matches reports whether a tensor of type dt and shape fits v, treating
// negative declared dimensions and an undeclared rank as wildcards.
func (v ValueInfo) matches(dt DataType, shape []int64) bool {
	if dt != v.Type {
		return false
	}
	if v.Shape == nil {
		return true
	}
	if len(shape) != len(v.Shape) {
		return false
	}
	for i, d := range v.Shape {
		if d >= 0 && d != shape[i] {
			return false
		}
	}
	return true
}
