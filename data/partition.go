package data

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
)

// partitionDomain tells Partition's random stream apart from the loader's.
const partitionDomain = 0x5041_5254_4954_4e31

// Partition splits s into a part of n images and the rest, stratified by
// label: each class gives its share of n (largest remainders first, ties to
// the lower label), its images picked at random from (seed, stream). Both
// parts are copies in the split's order; s is unchanged. Different streams
// of one seed pick independently.
func (s *Split) Partition(n int, seed, stream uint64) (picked, rest *Split, err error) {
	if err := s.check(); err != nil {
		return nil, nil, err
	}
	if n < 0 || n > s.N {
		return nil, nil, fmt.Errorf("split %q: cannot take %d of its %d images", s.Name, n, s.N)
	}
	byClass := map[int][]int{}
	for i, l := range s.Labels {
		byClass[l] = append(byClass[l], i)
	}
	labels := slices.Sorted(maps.Keys(byClass))
	quota := classQuotas(labels, byClass, n, s.N)
	take := make([]bool, s.N)
	r := rand.New(rand.NewPCG(seed, mix64(partitionDomain^stream)))
	for _, l := range labels {
		idx := byClass[l]
		r.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		for _, i := range idx[:quota[l]] {
			take[i] = true
		}
	}
	picked, rest = s.subset(take, true), s.subset(take, false)
	return picked, rest, nil
}

// classQuotas shares n among the classes in proportion to their counts by
// the largest-remainder method.
func classQuotas(labels []int, byClass map[int][]int, n, total int) map[int]int {
	quota := map[int]int{}
	left := n
	for _, l := range labels {
		quota[l] = n * len(byClass[l]) / total
		left -= quota[l]
	}
	order := slices.Clone(labels)
	remainder := func(l int) int { return n * len(byClass[l]) % total }
	slices.SortStableFunc(order, func(a, b int) int { return remainder(b) - remainder(a) })
	for _, l := range order[:left] {
		quota[l]++
	}
	return quota
}

// subset copies the images i of s with take[i] == want.
func (s *Split) subset(take []bool, want bool) *Split {
	out := &Split{Name: s.Name, C: s.C, H: s.H, W: s.W}
	for i, t := range take {
		if t == want {
			out.Images = append(out.Images, s.Image(i)...)
			out.Labels = append(out.Labels, s.Labels[i])
		}
	}
	out.N = len(out.Labels)
	return out
}
