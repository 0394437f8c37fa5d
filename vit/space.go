package vit

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// NumChoices is the number of categorical choices in the search space.
const NumChoices = 12

// Choice is one categorical decision of the search space.
type Choice struct {
	Name   string // symbol, e.g. "K1"
	Values []int
}

// space lists the choices in the authors' SEARCH_SPACE order:
// K1, K2, K3, K4, S1, S2, S3, E1, E2, E3, E4, H.
var space = [NumChoices]Choice{
	{"K1", []int{4, 5, 6, 7, 8}},
	{"K2", []int{2, 3, 4}},
	{"K3", []int{2, 3, 4}},
	{"K4", []int{2, 3, 4}},
	{"S1", []int{2, 4, 8}},
	{"S2", []int{1, 2, 4}},
	{"S3", []int{1, 2}},
	{"E1", []int{2, 3, 4, 5, 6}},
	{"E2", []int{2, 3, 4, 5, 6}},
	{"E3", []int{2, 3, 4, 5, 6}},
	{"E4", []int{2, 3, 4, 5, 6}},
	{"H", []int{16, 32, 64}},
}

// Choices returns a copy of the search space's choices in the authors' order
// K1, K2, K3, K4, S1, S2, S3, E1, E2, E3, E4, H. S4 is fixed to 1 and is not
// a choice.
func Choices() []Choice {
	out := make([]Choice, NumChoices)
	for i, c := range space {
		out[i] = Choice{Name: c.Name, Values: slices.Clone(c.Values)}
	}
	return out
}

// SpaceSize returns the number of topologies in the search space, 4,556,250.
func SpaceSize() int64 {
	n := int64(1)
	for _, c := range space {
		n *= int64(len(c.Values))
	}
	return n
}

// choiceSlots points at the fields of t that the choices set, in space order.
func choiceSlots(t *Topology) [NumChoices]*int {
	s := &t.Stages
	return [NumChoices]*int{
		&s[0].Kernel, &s[1].Kernel, &s[2].Kernel, &s[3].Kernel,
		&s[0].Split, &s[1].Split, &s[2].Split,
		&s[0].Expansion, &s[1].Expansion, &s[2].Expansion, &s[3].Expansion,
		&t.Heads,
	}
}

// FromChoices returns the seed topology (depths 1, hidden 32, S4 = 1) whose
// j-th choice takes value Choices()[j].Values[idx[j]].
func FromChoices(idx [NumChoices]int) (Topology, error) {
	t := Topology{Hidden: DefaultHidden}
	for i := range t.Stages {
		t.Stages[i].Depth = DefaultDepth
	}
	t.Stages[NumStages-1].Split = 1
	for j, slot := range choiceSlots(&t) {
		n := len(space[j].Values)
		if idx[j] < 0 || idx[j] >= n {
			return Topology{}, fmt.Errorf("choice %s: got index %d, want 0..%d", space[j].Name, idx[j], n-1)
		}
		*slot = space[j].Values[idx[j]]
	}
	return t, nil
}

// ChoiceIndices returns, for each choice, the index of t's value in
// Choices()[j].Values. Depths and hidden size are not choices and are
// ignored. It fails when a value is not among the choices or S4 ≠ 1.
func ChoiceIndices(t Topology) ([NumChoices]int, error) {
	var idx [NumChoices]int
	if s4 := t.Stages[NumStages-1].Split; s4 != 1 {
		return idx, fmt.Errorf("choice S4: got %d, want 1 (fixed in the search space)", s4)
	}
	for j, slot := range choiceSlots(&t) {
		k := slices.Index(space[j].Values, *slot)
		if k < 0 {
			return idx, fmt.Errorf("choice %s: got %d, want one of %v", space[j].Name, *slot, space[j].Values)
		}
		idx[j] = k
	}
	return idx, nil
}

// InSearchSpace reports whether every choice of t is one the search can
// make (depths and hidden size are not choices and are ignored).
// ChoiceIndices says which one is not.
func (t Topology) InSearchSpace() bool {
	_, err := ChoiceIndices(t)
	return err == nil
}

// IndexOf returns t's position in 0..SpaceSize()-1, a mixed-radix number
// whose most significant digit is K1 and least significant is H.
// FromIndex(IndexOf(t)) equals t with depths 1 and hidden 32.
func IndexOf(t Topology) (int64, error) {
	idx, err := ChoiceIndices(t)
	if err != nil {
		return 0, err
	}
	var n int64
	for j, k := range idx {
		n = n*int64(len(space[j].Values)) + int64(k)
	}
	return n, nil
}

// FromIndex is the inverse of IndexOf.
func FromIndex(n int64) (Topology, error) {
	size := SpaceSize()
	if n < 0 || n >= size {
		return Topology{}, fmt.Errorf("search space index: got %d, want 0..%d", n, size-1)
	}
	var idx [NumChoices]int
	for j := NumChoices - 1; j >= 0; j-- {
		r := int64(len(space[j].Values))
		idx[j] = int(n % r)
		n /= r
	}
	return FromChoices(idx)
}

// Sample draws a seed topology uniformly from the search space, one
// independent uniform draw per choice.
func Sample(rng *rand.Rand) Topology {
	var idx [NumChoices]int
	for j, c := range space {
		idx[j] = rng.IntN(len(c.Values))
	}
	t, _ := FromChoices(idx) // every index is in range by construction
	return t
}
