package eval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/asvit/asvit/graphgen"
)

// testGraph is a float32 graph whose inputs get random feeds.
type testGraph struct {
	*graphgen.Graph
	rng   *rand.Rand
	feeds map[*graphgen.Value][]float64
}

func newTestGraph(name string, seed uint64) *testGraph {
	return &testGraph{Graph: graphgen.New(name), rng: rand.New(rand.NewPCG(seed, 1)), feeds: map[*graphgen.Value][]float64{}}
}

// uniform returns n values uniform in [lo, hi), rounded to float32 so that
// ONNX Runtime and the evaluator see the same numbers.
func (tg *testGraph) uniform(n int, lo, hi float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(lo + (hi-lo)*tg.rng.Float64())
	}
	return out
}

// in declares a float32 input with a random feed in [lo, hi).
func (tg *testGraph) in(lo, hi float64, shape ...int) *graphgen.Value {
	v := tg.Input(fmt.Sprintf("x%d", len(tg.Inputs())), graphgen.Float32, shape...)
	tg.feeds[v] = convert(tg.uniform(v.Size(), lo, hi), func(x float32) float64 { return float64(x) })
	return v
}

// param declares an initialised float32 parameter with random data in [lo, hi).
func (tg *testGraph) param(lo, hi float64, shape ...int) *graphgen.Value {
	return tg.Param(fmt.Sprintf("p%d", len(tg.Params())), graphgen.Float32, shape, tg.uniform(numel(shape), lo, hi))
}

// opCase is one graph compared between ONNX Runtime (float32) and Run.
type opCase struct {
	name string
	// k is the number of terms summed into one output element; it scales
	// the absolute tolerance.
	k     int
	build func(tg *testGraph) *graphgen.Value
}

// checkAgainstORT builds each case, runs its output in ONNX Runtime in
// float32 and with Run in float64, and compares them elementwise.
func checkAgainstORT(t *testing.T, cases []opCase) {
	t.Helper()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tg := newTestGraph(c.name, uint64(i))
			tg.Output("y", c.build(tg))
			want := runORT(t, tg.Graph, tg.feeds)[0]
			got, err := Run(tg.Outputs(), tg.feeds)
			if err != nil {
				t.Fatal(err)
			}
			compare(t, got[0], want, c.k)
		})
	}
}

// compare fails t unless |got − want| ≤ 1e-5·|want| + 1e-6·k everywhere.
// want is float32: each elementary op rounds to within ~6e-8 relative (a few
// ulps for the transcendental kernels), which 1e-5 relative covers for the
// short chains tested; a k-term sum of O(1) terms, products of inputs in
// [-1, 1] mostly, adds up to about k·6e-8 times the largest partial sum in
// the worst case, which 1e-6·k covers with margin and also absorbs the
// cancellation near zero where the relative term vanishes.
func compare(t *testing.T, got, want []float64, k int) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d elements, want %d", len(got), len(want))
	}
	bad := 0
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-5*math.Abs(want[i])+1e-6*float64(k) || math.IsNaN(got[i]) != math.IsNaN(want[i]) {
			if bad++; bad <= 5 {
				t.Errorf("element %d: got %.9g, want %.9g (diff %.3g)", i, got[i], want[i], got[i]-want[i])
			}
		}
	}
	if bad > 5 {
		t.Errorf("%d of %d elements differ", bad, len(got))
	}
}

// exactly fails t unless got equals want to within 1e-12 (float64 rounding
// of short hand-checked sums).
func exactly(t *testing.T, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

// runOne evaluates v with feeds, failing t on error.
func runOne(t *testing.T, v *graphgen.Value, feeds map[*graphgen.Value][]float64) []float64 {
	t.Helper()
	got, err := Run([]*graphgen.Value{v}, feeds)
	if err != nil {
		t.Fatal(err)
	}
	return got[0]
}
