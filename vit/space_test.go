package vit

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestSpaceSize(t *testing.T) {
	// 5 choices of K1, 3 of K2..K4, 3, 3 and 2 splits, 5 of each E, 3 of H.
	const want = 5 * 3 * 3 * 3 * 3 * 3 * 2 * 5 * 5 * 5 * 5 * 3 // = 4,556,250
	if got := SpaceSize(); got != want {
		t.Fatalf("SpaceSize() = %d, want %d", got, want)
	}
	// The uniform policy's entropy, 5 ln5 + 6 ln3 + ln2 ≈ 15.33 nats.
	h := 0.0
	for _, c := range Choices() {
		h += math.Log(float64(len(c.Values)))
	}
	if want := 5*math.Log(5) + 6*math.Log(3) + math.Log(2); math.Abs(h-want) > 1e-12 {
		t.Errorf("initial entropy %v, want %v", h, want)
	}
}

func TestChoicesOrderAndCopy(t *testing.T) {
	var names []string
	for _, c := range Choices() {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, " "); got != "K1 K2 K3 K4 S1 S2 S3 E1 E2 E3 E4 H" {
		t.Errorf("choice order %q", got)
	}
	c := Choices()
	c[0].Values[0] = 99
	if Choices()[0].Values[0] != 4 {
		t.Error("Choices() shares its slices with the search space")
	}
}

func TestIndexOrder(t *testing.T) {
	first, err := FromIndex(0)
	if err != nil {
		t.Fatal(err)
	}
	want := Topology{Stages: [4]Stage{{4, 2, 2, 1}, {2, 1, 2, 1}, {2, 1, 2, 1}, {2, 1, 2, 1}}, Heads: 16, Hidden: 32}
	if first != want {
		t.Errorf("FromIndex(0) = %v, want %v", first, want)
	}
	last, err := FromIndex(SpaceSize() - 1)
	if err != nil {
		t.Fatal(err)
	}
	want = Topology{Stages: [4]Stage{{8, 8, 6, 1}, {4, 4, 6, 1}, {4, 2, 6, 1}, {4, 1, 6, 1}}, Heads: 64, Hidden: 32}
	if last != want {
		t.Errorf("FromIndex(last) = %v, want %v", last, want)
	}
	// H is the least significant digit, K1 the most.
	second, _ := FromIndex(1)
	if second.Heads != 32 || second.Stages != first.Stages {
		t.Errorf("FromIndex(1) = %v, want FromIndex(0) with H = 32", second)
	}
	upper, _ := FromIndex(SpaceSize() / 5)
	if upper.Stages[0].Kernel != 5 {
		t.Errorf("FromIndex(size/5) = %v, want K1 = 5 and everything else first", upper)
	}
}

func TestIndexRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for range 2000 {
		n := rng.Int64N(SpaceSize())
		top, err := FromIndex(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := top.Validate(); err != nil {
			t.Fatalf("FromIndex(%d) = %v is invalid: %v", n, top, err)
		}
		if !top.InSearchSpace() {
			t.Fatalf("FromIndex(%d) = %v is not in the search space", n, top)
		}
		back, err := IndexOf(top)
		if err != nil || back != n {
			t.Fatalf("IndexOf(FromIndex(%d)) = %d, %v", n, back, err)
		}
		idx, _ := ChoiceIndices(top)
		again, err := FromChoices(idx)
		if err != nil || again != top {
			t.Fatalf("FromChoices(ChoiceIndices(%v)) = %v, %v", top, again, err)
		}
	}
	// Depths and hidden size are not part of the index.
	n, err := IndexOf(largeTopology)
	if err != nil {
		t.Fatal(err)
	}
	if seed, _ := IndexOf(seedTopology); seed != n {
		t.Errorf("IndexOf(large) = %d, want the seed's %d", n, seed)
	}
}

func TestSpaceErrors(t *testing.T) {
	outside := seedTopology
	outside.Stages[0].Kernel = 9
	global := seedTopology
	global.Stages[3].Split = 2
	heads := seedTopology
	heads.Heads = 128
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"K1 = 9", second(IndexOf(outside)), "choice K1: got 9, want one of [4 5 6 7 8]"},
		{"S4 = 2", second(IndexOf(global)), "choice S4: got 2, want 1 (fixed in the search space)"},
		{"H = 128", second(IndexOf(heads)), "choice H: got 128, want one of [16 32 64]"},
		{"index -1", second(FromIndex(-1)), "search space index: got -1, want 0..4556249"},
		{"index size", second(FromIndex(SpaceSize())), "search space index: got 4556250, want 0..4556249"},
		{"choice index", second(FromChoices([NumChoices]int{6: 2})), "choice S3: got index 2, want 0..1"},
	} {
		if c.err == nil || c.err.Error() != c.want {
			t.Errorf("%s: error %v, want %q", c.name, c.err, c.want)
		}
	}
	if outside.InSearchSpace() || global.InSearchSpace() || !largeTopology.InSearchSpace() {
		t.Error("InSearchSpace disagrees with IndexOf")
	}
}

func second[T any](_ T, err error) error { return err }

func TestSampleUniform(t *testing.T) {
	const n = 60000
	rng := rand.New(rand.NewPCG(1, 2))
	choices := Choices()
	counts := make([]map[int]int, NumChoices)
	for j := range counts {
		counts[j] = map[int]int{}
	}
	for range n {
		top := Sample(rng)
		idx, err := ChoiceIndices(top)
		if err != nil {
			t.Fatalf("Sample gave %v outside the space: %v", top, err)
		}
		for j, k := range idx {
			counts[j][choices[j].Values[k]]++
		}
	}
	for j, c := range choices {
		p := 1 / float64(len(c.Values))
		sigma := math.Sqrt(n * p * (1 - p))
		for _, v := range c.Values {
			// 5σ: a fixed seed cannot flake, and a biased sampler is off by far more.
			if d := math.Abs(float64(counts[j][v]) - n*p); d > 5*sigma {
				t.Errorf("%s = %d drawn %d times, want %.0f ± %.0f", c.Name, v, counts[j][v], n*p, 5*sigma)
			}
		}
	}
}

func BenchmarkIndexOf(b *testing.B) {
	for b.Loop() {
		if _, err := IndexOf(seedTopology); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFromIndex(b *testing.B) {
	for b.Loop() {
		if _, err := FromIndex(1234567); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSample(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		_ = Sample(rng)
	}
}
