package rankstat

import (
	"math"
	"slices"
	"testing"
)

func TestRanks(t *testing.T) {
	negZero := math.Copysign(0, -1)
	for _, c := range []struct {
		name string
		x    []float64
		want []float64
	}{
		{"empty", []float64{}, []float64{}},
		{"one", []float64{7}, []float64{1}},
		// scipy.stats.rankdata([0, 2, 3, 2]) = [1., 2.5, 4., 2.5] (its docstring).
		{"scipy docstring", []float64{0, 2, 3, 2}, []float64{1, 2.5, 4, 2.5}},
		{"all equal", []float64{5, 5, 5, 5}, []float64{2.5, 2.5, 2.5, 2.5}},
		{"two runs", []float64{3, 1, 3, 1, 3, 2}, []float64{5, 1.5, 5, 1.5, 5, 3}},
		{"descending", []float64{4, 3, 2, 1}, []float64{4, 3, 2, 1}},
		{"signed zeros tie", []float64{0, negZero, -1}, []float64{2.5, 2.5, 1}},
		{"NaN ranks first", []float64{2, math.NaN(), 1, math.NaN()}, []float64{4, 1.5, 3, 1.5}},
	} {
		if got := Ranks(c.x); !slices.Equal(got, c.want) {
			t.Errorf("%s: Ranks(%v) = %v, want %v", c.name, c.x, got, c.want)
		}
	}
}

func TestRanksDoesNotModifyInput(t *testing.T) {
	x := []float64{3, 1, 2}
	Ranks(x)
	if !slices.Equal(x, []float64{3, 1, 2}) {
		t.Errorf("Ranks changed its input to %v", x)
	}
}

func TestPercentileRank(t *testing.T) {
	for _, c := range []struct {
		values []float64
		v      float64
		want   float64
	}{
		// scipy.stats.percentileofscore([1, 2, 3, 3, 4], 3, kind='mean') = 60.0
		// (its docstring): 2 below, 2 equal → (2 + 1) / 5.
		{[]float64{1, 2, 3, 3, 4}, 3, 60},
		// 2 below, 1 equal → 2.5 / 4.
		{[]float64{1, 2, 3, 4}, 3, 62.5},
		{[]float64{1, 2, 3, 4}, 2.5, 50},
		{[]float64{1, 2, 3, 4}, 0, 0},
		{[]float64{1, 2, 3, 4}, 9, 100},
		{[]float64{1, 2, 3, 4}, 4, 87.5},
		{[]float64{7}, 7, 50},
	} {
		if got := PercentileRank(c.values, c.v); got != c.want {
			t.Errorf("PercentileRank(%v, %v) = %v, want %v", c.values, c.v, got, c.want)
		}
	}
	for _, c := range []struct {
		values []float64
		v      float64
	}{
		{nil, 1},
		{[]float64{1, 2}, math.NaN()},
		{[]float64{1, math.NaN()}, 1},
	} {
		if got := PercentileRank(c.values, c.v); !math.IsNaN(got) {
			t.Errorf("PercentileRank(%v, %v) = %v, want NaN", c.values, c.v, got)
		}
	}
}

// FuzzRanks checks that the ranks of any sample lie in [1, n], sum to
// n(n+1)/2 and follow the order of the values.
func FuzzRanks(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4})
	f.Add([]byte{5, 5, 5})
	f.Add([]byte{9, 1, 9, 1, 200, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		x := valuesFromBytes(data)
		ranks := Ranks(x)
		n := float64(len(x))
		sum := 0.0
		for i, r := range ranks {
			if r < 1 || r > n {
				t.Fatalf("rank %v of x[%d] outside [1, %v]", r, i, n)
			}
			sum += r
		}
		if sum != n*(n+1)/2 {
			t.Fatalf("ranks sum to %v, want %v", sum, n*(n+1)/2)
		}
		for i := range x {
			for j := range x {
				if (x[i] < x[j]) != (ranks[i] < ranks[j]) {
					t.Fatalf("x[%d]=%v, x[%d]=%v but ranks %v, %v", i, x[i], j, x[j], ranks[i], ranks[j])
				}
			}
		}
	})
}
