package eval

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/asvit/asvit/graphgen"
)

// Run evaluates outputs, which must belong to one graph, in float64.
//
// feeds holds the data of graph inputs and of parameters without data; a
// feed for a parameter with data overrides it. Constants and initialised
// parameters use their own data, converted to float64. Only the nodes the
// outputs need are evaluated. Run returns one newly allocated row-major
// slice per output; an output with a graphgen.Dynamic dimension has the
// length its evaluation gave. Errors name the node, its op and what is
// missing or unsupported.
func Run(outputs []*graphgen.Value, feeds map[*graphgen.Value][]float64) ([][]float64, error) {
	if len(outputs) == 0 {
		return nil, errors.New("eval: no outputs requested")
	}
	g := outputs[0].Graph()
	for _, v := range outputs[1:] {
		if v.Graph() != g {
			return nil, fmt.Errorf("eval: outputs %s and %s belong to different graphs", outputs[0].Name(), v.Name())
		}
	}
	if err := checkFeeds(g, feeds); err != nil {
		return nil, err
	}
	vals := map[*graphgen.Value]*tensor{}
	for _, n := range neededNodes(g, outputs) {
		if err := evalNode(n, vals, feeds); err != nil {
			return nil, fmt.Errorf("eval: node %s (%s): %w", n.Name, n.Op, err)
		}
	}
	res := make([][]float64, len(outputs))
	for i, v := range outputs {
		t, err := valueOf(v, vals, feeds)
		if err != nil {
			return nil, fmt.Errorf("eval: output %s: %w", v.Name(), err)
		}
		res[i] = slices.Clone(t.data)
	}
	return res, nil
}

func checkFeeds(g *graphgen.Graph, feeds map[*graphgen.Value][]float64) error {
	for v, data := range feeds {
		switch {
		case v.Graph() != g:
			return fmt.Errorf("eval: feed %s belongs to another graph", v.Name())
		case v.Producer() != nil:
			return fmt.Errorf("eval: feed %s is a node output; feed graph inputs and parameters only", v.Name())
		case !v.IsInput() && !v.IsParam():
			return fmt.Errorf("eval: feed %s is a constant; feed graph inputs and parameters only", v.Name())
		case len(data) != v.Size():
			return fmt.Errorf("eval: feed %s has %d elements, shape %v needs %d", v.Name(), len(data), v.Shape(), v.Size())
		}
	}
	return nil
}

// neededNodes returns the nodes that outputs depend on, in graph order.
func neededNodes(g *graphgen.Graph, outputs []*graphgen.Value) []*graphgen.Node {
	needed := map[*graphgen.Node]bool{}
	stack := slices.Clone(outputs)
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n := v.Producer(); n != nil && !needed[n] {
			needed[n] = true
			for _, in := range n.Inputs {
				if in != nil {
					stack = append(stack, in)
				}
			}
		}
	}
	var order []*graphgen.Node
	for _, n := range g.Nodes() {
		if needed[n] {
			order = append(order, n)
		}
	}
	return order
}

// valueOf returns an evaluated node output, a feed, or a value's own data.
func valueOf(v *graphgen.Value, vals map[*graphgen.Value]*tensor, feeds map[*graphgen.Value][]float64) (*tensor, error) {
	if v.Producer() != nil {
		if t, ok := vals[v]; ok {
			return t, nil
		}
		return nil, fmt.Errorf("%s is computed after its use; the graph is not in topological order", v.Name())
	}
	if data, ok := feeds[v]; ok {
		return &tensor{shape: v.Shape(), data: data}, nil
	}
	var data []float64
	switch d := v.ConstData().(type) {
	case []float64:
		data = d
	case []float32:
		data = convert(d, func(x float32) float64 { return float64(x) })
	case []int64:
		data = convert(d, func(x int64) float64 { return float64(x) })
	case []bool:
		data = convert(d, func(x bool) float64 { return b2f(x) })
	case nil:
		return nil, fmt.Errorf("input %s has no data and no feed", v)
	default:
		return nil, fmt.Errorf("%s holds data of unsupported type %T", v, d)
	}
	return &tensor{shape: v.Shape(), data: data}, nil
}

func convert[T, U any](xs []T, f func(T) U) []U {
	out := make([]U, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func evalNode(n *graphgen.Node, vals map[*graphgen.Value]*tensor, feeds map[*graphgen.Value][]float64) error {
	op, ok := multiOps[n.Op]
	if single, ok1 := ops[n.Op]; ok1 {
		op, ok = func(n *graphgen.Node, in []*tensor) ([]*tensor, error) {
			t, err := single(n, in)
			return []*tensor{t}, err
		}, true
	}
	if !ok {
		return fmt.Errorf("op %s is not supported; add it to the table in graphgen/eval/ops.go", n.Op)
	}
	in := make([]*tensor, len(n.Inputs))
	for i, v := range n.Inputs {
		if v == nil {
			continue
		}
		t, err := valueOf(v, vals, feeds)
		if err != nil {
			return err
		}
		in[i] = t
	}
	outs, err := op(n, in)
	if err != nil {
		return err
	}
	if len(outs) != len(n.Outputs) {
		return fmt.Errorf("computed %d outputs, the node declares %d", len(outs), len(n.Outputs))
	}
	for i, res := range n.Outputs {
		if !shapeMatches(outs[i].shape, res.Shape()) {
			return fmt.Errorf("computed shape %v differs from the declared %s", outs[i].shape, res)
		}
		vals[res] = roundTo(res.DType(), outs[i])
	}
	return nil
}

// shapeMatches reports whether a computed shape fits a declared one, whose
// graphgen.Dynamic dimensions take any extent.
func shapeMatches(got, declared []int) bool {
	return slices.EqualFunc(got, declared, func(g, d int) bool { return g == d || d == graphgen.Dynamic })
}

// roundTo applies the value set of dt: integers truncate toward zero, Bool
// becomes 0 or 1, float types keep the float64 result.
func roundTo(dt graphgen.DType, t *tensor) *tensor {
	var f func(float64) float64
	switch dt {
	case graphgen.Int64:
		f = math.Trunc
	case graphgen.Bool:
		f = func(x float64) float64 { return b2f(x != 0) }
	default:
		return t
	}
	return &tensor{shape: t.shape, data: convert(t.data, f)}
}
