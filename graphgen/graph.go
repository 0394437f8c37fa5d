package graphgen

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Graph is an ONNX graph under construction. It is not safe for concurrent use.
type Graph struct {
	// Name is the graph's name in the serialised model.
	Name string
	// ParamsAsInputs makes Param create graph inputs instead of initializers.
	ParamsAsInputs bool
	// DynamicBatch serialises dimension 0 of inputs and outputs as the
	// symbolic "N" and writes -1 as the first entry of every Reshape target,
	// so one model runs any batch size. Builders that use it must keep the
	// batch (or batch × windows) in dimension 0 of every reshape.
	DynamicBatch bool
	// Metadata becomes the model's metadata_props.
	Metadata map[string]string

	nodes   []*Node
	inputs  []*Value
	params  []*Value
	consts  []*Value
	outputs []*Value
	scope   []string
	counter map[string]int
	taken   map[string]bool
	scalars map[scalarKey]*Value
}

// Value is a statically shaped tensor of a Graph: an input, a parameter, a
// constant or a node output. A node output may have one data-dependent
// dimension instead (see Dynamic).
type Value struct {
	g     *Graph
	name  string
	dtype DType
	shape []int
	node  *Node
	data  any // []float32, []float64, []int64 or []bool for constants and initialised parameters
	kind  valueKind
	// dyn names the data-dependent dimension (Dynamic in shape) for the
	// serialised model's dim_param; "" when the shape is static.
	dyn string
}

// Dynamic marks, in a node output's shape, a dimension whose extent depends
// on the data: the number of boxes NonMaxSuppression selects. Such a value
// is not statically shaped, so only Identity, Slice, GatherND and
// ScatterND accept it, each checking that the data-dependent axis is one it
// can carry through; every other op refuses it, which keeps their shape
// inference static and exact. The serialised model declares the dimension
// as a dim_param named after the op that made it.
const Dynamic = -1

// takesDynamic lists the ops that accept an operand with a Dynamic
// dimension: Identity (for Output) and Slice carry it through, GatherND
// carries it from its indices to its result, and ScatterND consumes it
// into the static shape of its data.
var takesDynamic = map[string]bool{"Identity": true, "Slice": true, "GatherND": true, "ScatterND": true}

type valueKind int

const (
	kindInput valueKind = iota
	kindParam
	kindConst
	kindNode
)

// Node is one ONNX operator application.
type Node struct {
	Op      string
	Name    string
	Inputs  []*Value // nil marks an omitted optional input
	Outputs []*Value
	Attrs   map[string]any // int64, float32, string, []int64 or []float32
}

type scalarKey struct {
	dtype DType
	value float64
}

// BuildError is the panic value of an op whose operands are wrong.
type BuildError struct {
	Op  string
	Msg string
}

func (e *BuildError) Error() string { return fmt.Sprintf("graphgen: %s: %s", e.Op, e.Msg) }

// New returns an empty graph.
func New(name string) *Graph {
	return &Graph{
		Name:     name,
		Metadata: map[string]string{},
		counter:  map[string]int{},
		taken:    map[string]bool{},
		scalars:  map[scalarKey]*Value{},
	}
}

// Catch runs build and turns a *BuildError panic into an error.
func Catch(build func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			var be *BuildError
			if e, ok := r.(error); ok && errors.As(e, &be) {
				err = be
				return
			}
			panic(r)
		}
	}()
	build()
	return nil
}

func fail(op, format string, args ...any) {
	panic(&BuildError{Op: op, Msg: fmt.Sprintf(format, args...)})
}

// Name returns the value's name in the serialised graph.
func (v *Value) Name() string { return v.name }

// DType returns the element type.
func (v *Value) DType() DType { return v.dtype }

// Shape returns a copy of the shape, with Dynamic at a data-dependent
// dimension.
func (v *Value) Shape() []int { return slices.Clone(v.shape) }

// DynamicAxis returns the axis of v's data-dependent dimension, or -1 when
// v is statically shaped.
func (v *Value) DynamicAxis() int { return slices.Index(v.shape, Dynamic) }

// Dim returns dimension i; negative i counts from the end.
func (v *Value) Dim(i int) int {
	if i < 0 {
		i += len(v.shape)
	}
	return v.shape[i]
}

// Rank returns the number of dimensions.
func (v *Value) Rank() int { return len(v.shape) }

// Size returns the number of elements, or -1 when a dimension is Dynamic.
func (v *Value) Size() int {
	if v.DynamicAxis() >= 0 {
		return -1
	}
	return numel(v.shape)
}

// Graph returns the graph the value belongs to.
func (v *Value) Graph() *Graph { return v.g }

// Producer returns the node computing v, or nil for inputs, parameters and constants.
func (v *Value) Producer() *Node { return v.node }

// IsParam reports whether v was created by Param.
func (v *Value) IsParam() bool { return v.kind == kindParam }

// IsInput reports whether v is a graph input (including parameters fed as inputs).
func (v *Value) IsInput() bool {
	return v.kind == kindInput || (v.kind == kindParam && v.g.ParamsAsInputs)
}

// ConstData returns the data of a constant or initialised parameter, else nil.
func (v *Value) ConstData() any { return v.data }

func (v *Value) String() string { return fmt.Sprintf("%s%s %v", v.name, shapeString(v.shape), v.dtype) }

// shapeString formats a shape as fmt does a []int, with ? for Dynamic.
func shapeString(shape []int) string {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = "?"
		if d != Dynamic {
			dims[i] = strconv.Itoa(d)
		}
	}
	return "[" + strings.Join(dims, " ") + "]"
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Scope runs body with name prefix added to the names of the nodes it creates.
func (g *Graph) Scope(prefix string, body func()) {
	g.scope = append(g.scope, prefix)
	defer func() { g.scope = g.scope[:len(g.scope)-1] }()
	body()
}

func (g *Graph) claim(op, name string) string {
	if name == "" {
		fail(op, "empty name")
	}
	if g.taken[name] {
		fail(op, "name %q is already used", name)
	}
	g.taken[name] = true
	return name
}

func (g *Graph) autoName(op string) string {
	prefix := strings.Join(g.scope, "/")
	if prefix != "" {
		prefix += "/"
	}
	for {
		key := prefix + op
		n := g.counter[key]
		g.counter[key] = n + 1
		name := fmt.Sprintf("%s_%d", key, n)
		if !g.taken[name] {
			g.taken[name] = true
			return name
		}
	}
}

func checkShape(op string, shape []int) {
	for _, d := range shape {
		if d < 1 {
			fail(op, "shape %v has a dimension < 1", shape)
		}
	}
}

// Input declares a graph input.
func (g *Graph) Input(name string, dt DType, shape ...int) *Value {
	checkShape("Input", shape)
	v := &Value{g: g, name: g.claim("Input", name), dtype: dt, shape: slices.Clone(shape), kind: kindInput}
	g.inputs = append(g.inputs, v)
	return v
}

// Param declares a parameter: a graph input when ParamsAsInputs is set,
// otherwise an initializer holding data ([]float32 or []float64 matching dt,
// len = numel(shape)). data may be nil when ParamsAsInputs is set.
func (g *Graph) Param(name string, dt DType, shape []int, data any) *Value {
	checkShape("Param", shape)
	if !g.ParamsAsInputs || data != nil {
		checkData("Param "+name, dt, shape, data)
	}
	v := &Value{g: g, name: g.claim("Param", name), dtype: dt, shape: slices.Clone(shape), data: data, kind: kindParam}
	g.params = append(g.params, v)
	return v
}

// Params returns the parameters in declaration order.
func (g *Graph) Params() []*Value { return slices.Clone(g.params) }

// Inputs returns the graph inputs other than parameters, in declaration order.
func (g *Graph) Inputs() []*Value { return slices.Clone(g.inputs) }

// Outputs returns the declared outputs in order.
func (g *Graph) Outputs() []*Value { return slices.Clone(g.outputs) }

// Nodes returns the nodes in creation (topological) order.
func (g *Graph) Nodes() []*Node { return slices.Clone(g.nodes) }

func checkData(what string, dt DType, shape []int, data any) {
	n := numel(shape)
	var got int
	ok := true
	switch d := data.(type) {
	case []float32:
		got, ok = len(d), dt == Float32
	case []float64:
		got, ok = len(d), dt == Float64
	case []int64:
		got, ok = len(d), dt == Int64
	case []bool:
		got, ok = len(d), dt == Bool
	default:
		fail(what, "data of type %T, want a slice of %v", data, dt)
	}
	if !ok {
		fail(what, "data of type %T does not match dtype %v", data, dt)
	}
	if got != n {
		fail(what, "data has %d elements, shape %v needs %d", got, shape, n)
	}
}

// Const adds a constant tensor.
func (g *Graph) Const(dt DType, shape []int, data any) *Value {
	checkData("Const", dt, shape, data)
	v := &Value{g: g, name: g.autoName("Const"), dtype: dt, shape: slices.Clone(shape), data: data, kind: kindConst}
	g.consts = append(g.consts, v)
	return v
}

// Scalar returns a rank-0 constant of dtype dt, shared between uses.
func (g *Graph) Scalar(dt DType, x float64) *Value {
	key := scalarKey{dt, x}
	if v, ok := g.scalars[key]; ok {
		return v
	}
	var data any
	switch dt {
	case Float32:
		data = []float32{float32(x)}
	case Float64:
		data = []float64{x}
	case Int64:
		data = []int64{int64(x)}
	default:
		fail("Scalar", "dtype %v", dt)
	}
	v := g.Const(dt, nil, data)
	g.scalars[key] = v
	return v
}

// Ints returns a rank-1 int64 constant.
func (g *Graph) Ints(xs ...int) *Value {
	data := make([]int64, len(xs))
	for i, x := range xs {
		data[i] = int64(x)
	}
	return g.Const(Int64, []int{len(xs)}, data)
}

// Output declares v as a graph output under name.
func (g *Graph) Output(name string, v *Value) *Value {
	if v.g != g {
		fail("Output", "value %s belongs to another graph", v.name)
	}
	out := v
	if v.kind != kindNode || slices.Contains(g.outputs, v) {
		out = g.Identity(v)
	}
	if out.name != name {
		delete(g.taken, out.name)
		out.name = g.claim("Output", name)
	}
	g.outputs = append(g.outputs, out)
	return out
}

// addNode appends a node with the given output dtypes and shapes.
func (g *Graph) addNode(op string, inputs []*Value, attrs map[string]any, dts []DType, shapes [][]int) []*Value {
	for _, in := range inputs {
		if in != nil && in.g != g {
			fail(op, "operand %s belongs to another graph", in.name)
		}
		if in != nil && in.DynamicAxis() >= 0 && !takesDynamic[op] {
			fail(op, "operand %s has a data-dependent dimension, which only %s accept", in, strings.Join(slices.Sorted(maps.Keys(takesDynamic)), ", "))
		}
	}
	n := &Node{Op: op, Name: g.autoName(op), Inputs: inputs, Attrs: attrs}
	for i := range dts {
		name := n.Name
		if len(dts) > 1 {
			name = fmt.Sprintf("%s:%d", n.Name, i)
		}
		n.Outputs = append(n.Outputs, &Value{g: g, name: name, dtype: dts[i], shape: shapes[i], node: n, kind: kindNode})
	}
	g.nodes = append(g.nodes, n)
	return n.Outputs
}

// op1 appends a single-output node.
func (g *Graph) op1(op string, inputs []*Value, attrs map[string]any, dt DType, shape []int) *Value {
	return g.addNode(op, inputs, attrs, []DType{dt}, [][]int{shape})[0]
}

func sameDType(op string, vs ...*Value) DType {
	dt := vs[0].dtype
	for _, v := range vs[1:] {
		if v.dtype != dt {
			fail(op, "dtypes differ: %s and %s", vs[0], v)
		}
	}
	return dt
}

func needFloat(op string, v *Value) {
	if !v.dtype.IsFloat() {
		fail(op, "operand %s must be floating point", v)
	}
}

// normAxis maps a possibly negative axis into [0, rank).
func normAxis(op string, axis, rank int) int {
	if axis < -rank || axis >= rank {
		fail(op, "axis %d out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += rank
	}
	return axis
}

func ints64(xs []int) []int64 {
	out := make([]int64, len(xs))
	for i, x := range xs {
		out[i] = int64(x)
	}
	return out
}
