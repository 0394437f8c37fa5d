package data

import (
	"slices"
	"testing"
)

// labelledSplit has n one-pixel images whose pixel is the image index mod
// 256 and whose labels follow labelOf.
func labelledSplit(n int, labelOf func(i int) int) *Split {
	s := &Split{Name: "train", N: n, C: 1, H: 1, W: 1}
	for i := range n {
		s.Images = append(s.Images, uint8(i))
		s.Labels = append(s.Labels, labelOf(i))
	}
	return s
}

func countLabels(s *Split) map[int]int {
	c := map[int]int{}
	for _, l := range s.Labels {
		c[l]++
	}
	return c
}

func TestPartitionIsDisjointStratifiedAndStable(t *testing.T) {
	// Classes of 80, 80 and 40 images; a 10% part takes 8, 8 and 4.
	s := labelledSplit(200, func(i int) int {
		switch {
		case i%5 < 2:
			return 0 // 80
		case i%5 < 4:
			return 1 // 80
		}
		return 2 // 40
	})
	picked, rest, err := s.Partition(20, 7, 1)
	if err != nil {
		t.Fatal(err)
	}
	if picked.N != 20 || rest.N != 180 {
		t.Fatalf("parts of %d and %d images, want 20 and 180", picked.N, rest.N)
	}
	if got := countLabels(picked); got[0] != 8 || got[1] != 8 || got[2] != 4 {
		t.Errorf("picked classes %v, want 8, 8, 4", got)
	}
	seen := map[uint8]bool{}
	for _, part := range []*Split{picked, rest} {
		for i := range part.N {
			px := part.Image(i)[0]
			if seen[px] {
				t.Fatalf("image %d is in both parts", px)
			}
			seen[px] = true
			if part.Labels[i] != s.Labels[px] {
				t.Fatalf("image %d carries label %d, want %d", px, part.Labels[i], s.Labels[px])
			}
		}
	}
	if len(seen) != 200 {
		t.Errorf("%d images in the two parts, want 200", len(seen))
	}
	again, _, _ := s.Partition(20, 7, 1)
	if !slices.Equal(again.Images, picked.Images) {
		t.Error("the same seed picked other images")
	}
	other, _, _ := s.Partition(20, 8, 1)
	stream, _, _ := s.Partition(20, 7, 2)
	if slices.Equal(other.Images, picked.Images) || slices.Equal(stream.Images, picked.Images) {
		t.Error("another seed or stream picked the same images")
	}
}

func TestPartitionLargestRemainders(t *testing.T) {
	// 3 classes of 3 images, 4 picked: quotas 1⅓ each, the one left over
	// goes to the lowest label.
	s := labelledSplit(9, func(i int) int { return i % 3 })
	picked, _, err := s.Partition(4, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := countLabels(picked); got[0] != 2 || got[1] != 1 || got[2] != 1 {
		t.Errorf("classes %v, want 2, 1, 1", got)
	}
	all, none, err := s.Partition(9, 0, 0)
	if err != nil || all.N != 9 || none.N != 0 {
		t.Errorf("taking everything: %d and %d images, %v", all.N, none.N, err)
	}
}

func TestPartitionRejectsBadSizes(t *testing.T) {
	s := labelledSplit(5, func(int) int { return 0 })
	for _, n := range []int{-1, 6} {
		if _, _, err := s.Partition(n, 0, 0); err == nil {
			t.Errorf("Partition(%d) of 5 images: no error", n)
		}
	}
}
