package complexity

import (
	"slices"
	"testing"

	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/vit"
)

func TestZZOps(t *testing.T) {
	top, _ := vit.Parse(seedTopology)
	m, _ := vit.New(vit.NewSpec(top, 64, 1000))
	s := DefaultSettings()
	s.Image = 64
	mg, err := buildFast(m, s, graphgen.Float32)
	if err != nil {
		t.Fatal(err)
	}
	producer := map[*graphgen.Value]*graphgen.Node{}
	consumers := map[*graphgen.Value]int{}
	for _, n := range mg.g.Nodes() {
		for _, o := range n.Outputs {
			producer[o] = n
		}
		for _, i := range n.Inputs {
			consumers[i]++
		}
	}
	var same, chain, chainSole, tchain, dead int
	outs := map[*graphgen.Value]bool{}
	for _, o := range mg.outputs {
		outs[o] = true
	}
	for _, n := range mg.g.Nodes() {
		if consumers[n.Outputs[0]] == 0 {
			dead++
		}
		if n.Op == "Reshape" {
			if slices.Equal(n.Inputs[0].Shape(), n.Outputs[0].Shape()) {
				same++
			}
			if p := producer[n.Inputs[0]]; p != nil && p.Op == "Reshape" {
				chain++
				if consumers[n.Inputs[0]] == 1 {
					chainSole++
				}
			}
		}
		if n.Op == "Transpose" {
			if p := producer[n.Inputs[0]]; p != nil && p.Op == "Transpose" {
				tchain++
			}
		}
	}
	t.Logf("nodes %d: reshape same-shape %d, reshape-of-reshape %d (sole consumer %d), transpose-of-transpose %d, no consumers %d", len(mg.g.Nodes()), same, chain, chainSole, tchain, dead)
}
