package graphgen

import (
	"maps"
	"slices"
)

// Internals the external tests (package graphgen_test, which may import
// graphgen/eval) need.

// VJPRuleOps and JVPRuleOps list the ops with a rule in each table.
func VJPRuleOps() []string { return slices.Sorted(maps.Keys(vjpRules)) }

func JVPRuleOps() []string { return slices.Sorted(maps.Keys(jvpRules)) }

// TokenGramCheaper exposes the per-layer choice of PerSampleGram.
var TokenGramCheaper = tokenGramCheaper

// BreakRulesForTest replaces the rules of op in both tables by ones returning a
// value of the wrong shape, until restore is called.
func BreakRulesForTest(op string) (restore func()) {
	vjp, jvp := vjpRules[op], jvpRules[op]
	wrong := func(g *Graph) *Value { return g.Scalar(Float64, 0) }
	vjpRules[op] = []vjpRule{func(c *vjpCtx) *Value { return wrong(c.Graph) }}
	jvpRules[op] = func(c *jvpCtx) *Value { return wrong(c.Graph) }
	return func() { vjpRules[op], jvpRules[op] = vjp, jvp }
}
