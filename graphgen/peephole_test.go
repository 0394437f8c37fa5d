package graphgen_test

import (
	"slices"
	"testing"

	. "github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/graphgen/eval"
)

// The shape peepholes change the graph, never its values: a transpose of a
// transpose is one node with the permutations composed, a reshape of a
// reshape is one node, and identities add nothing.
func TestShapePeepholes(t *testing.T) {
	g := New("t")
	x := g.Input("x", Float64, 2, 3, 4)
	y := g.Transpose(g.Transpose(x, 1, 0, 2), 0, 2, 1) // [3 4 2]: y[i,j,k] = x[k,i,j]
	if p := y.Producer(); p == nil || p.Op != "Transpose" || p.Inputs[0] != x || !slices.Equal(p.Attrs["perm"].([]int64), []int64{1, 2, 0}) {
		t.Fatalf("transpose of a transpose: got %v, want one Transpose of x with perm [1 2 0]", p)
	}
	if got := g.Transpose(g.Transpose(x, 2, 0, 1), 1, 2, 0); got != x {
		t.Fatalf("transposes composing to the identity gave %v, want x", got)
	}
	if got := g.Transpose(x, 0, 1, 2); got != x {
		t.Fatalf("identity permutation gave %v, want x", got)
	}
	z := g.Reshape(g.Reshape(x, 6, 4), 4, 6)
	if p := z.Producer(); p == nil || p.Op != "Reshape" || p.Inputs[0] != x {
		t.Fatalf("reshape of a reshape: got %v, want one Reshape of x", p)
	}
	if got := g.Reshape(g.Reshape(x, 24), 2, 3, 4); got != x {
		t.Fatalf("reshape back to x's shape gave %v, want x", got)
	}
	outs, err := eval.Run([]*Value{y, z}, map[*Value][]float64{x: iota64(24)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		for j := range 4 {
			for k := range 2 {
				if got, want := outs[0][(i*4+j)*2+k], float64((k*3+i)*4+j); got != want {
					t.Fatalf("y[%d,%d,%d] = %v, want x[%d,%d,%d] = %v", i, j, k, got, k, i, j, want)
				}
			}
		}
	}
	if !slices.Equal(outs[1], iota64(24)) {
		t.Fatalf("reshapes moved elements: %v", outs[1])
	}
	// the inner nodes are dead: the model holds the two outer ones
	g.Output("y", y)
	g.Output("z", z)
	if ops := liveOps(t, g); !slices.Equal(ops, []string{"Reshape", "Transpose"}) {
		t.Fatalf("model's nodes %v, want one Transpose and one Reshape", ops)
	}
}

func liveOps(t *testing.T, g *Graph) []string {
	t.Helper()
	var ops []string
	for _, n := range liveNodes(t, g) {
		ops = append(ops, n.Op)
	}
	slices.Sort(ops)
	return ops
}

// liveNodes returns the nodes of g that its serialised model holds: those
// its outputs depend on.
func liveNodes(t *testing.T, g *Graph) []*Node {
	t.Helper()
	m, err := g.ModelProto()
	if err != nil {
		t.Fatal(err)
	}
	live := map[string]bool{}
	for _, n := range m.Graph.Node {
		live[n.Name] = true
	}
	return slices.DeleteFunc(g.Nodes(), func(n *Node) bool { return !live[n.Name] })
}

// The gradient of attention O = softmax(S)·V (P [.., t, t], V [.., t, d],
// t > 2d) never transposes P, and the only elementwise pass over a
// [.., t, t] tensor in the softmax's gradient is the final P⊙(...): dV is
// formed as (dOᵀ·P)ᵀ, and dP minus its row sums as one MatMul.
func TestAttentionGradientPassesOverProbabilities(t *testing.T) {
	g := New("t")
	s := g.Input("s", Float32, 2, 4, 16, 16)
	v := g.Input("v", Float32, 2, 4, 16, 2)
	p := g.Softmax(s, -1)
	o := g.MatMul(p, v)
	grads, err := VJP([]*Value{o}, []*Value{g.Input("do", Float32, o.Shape()...)}, []*Value{s, v})
	if err != nil {
		t.Fatal(err)
	}
	g.Output("ds", grads[0])
	g.Output("dv", grads[1])
	square := 0
	for _, n := range liveNodes(t, g) {
		big := slices.ContainsFunc(n.Inputs, func(x *Value) bool { return x != nil && x.Size() == p.Size() })
		switch {
		case n.Op == "Transpose" && n.Inputs[0] == p:
			t.Errorf("%s transposes the probabilities", n.Name)
		case big && n.Op != "MatMul" && n.Op != "Softmax":
			square++
		}
	}
	if square != 1 {
		t.Errorf("%d elementwise or reducing nodes read a [.., t, t] tensor, want 1 (P⊙(dP - ρ))", square)
	}
}

func iota64(n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = float64(i)
	}
	return xs
}
