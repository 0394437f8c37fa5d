package graphgen

import (
	"fmt"
	"sort"
	"strings"
)

// Dump lists the graph as text: inputs, parameters, then one line per node
// with its operands, results, shapes and attributes, then the outputs.
func (g *Graph) Dump() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graph %s\n", g.Name)
	for _, v := range g.inputs {
		fmt.Fprintf(&b, "input %s\n", v)
	}
	for _, v := range g.params {
		fmt.Fprintf(&b, "param %s\n", v)
	}
	for _, n := range g.nodes {
		ins := make([]string, len(n.Inputs))
		for i, v := range n.Inputs {
			ins[i] = "<none>"
			if v != nil {
				ins[i] = v.String()
			}
		}
		outs := make([]string, len(n.Outputs))
		for i, v := range n.Outputs {
			outs[i] = v.String()
		}
		fmt.Fprintf(&b, "%s(%s) -> %s%s\n", n.Op, strings.Join(ins, ", "), strings.Join(outs, ", "), dumpAttrs(n.Attrs))
	}
	for _, v := range g.outputs {
		fmt.Fprintf(&b, "output %s\n", v)
	}
	return b.String()
}

func dumpAttrs(attrs map[string]any) string {
	if len(attrs) == 0 {
		return ""
	}
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", k, attrs[k])
	}
	return " {" + strings.Join(parts, " ") + "}"
}
