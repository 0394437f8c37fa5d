package vit

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// readGolden reads "name AxBxC" lines, skipping # comments.
func readGolden(t *testing.T, path string) []ParamSpec {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []ParamSpec
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, dims, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("%s: bad line %q", path, line)
		}
		p := ParamSpec{Name: name}
		for _, d := range strings.Split(dims, "x") {
			n, err := strconv.Atoi(d)
			if err != nil {
				t.Fatalf("%s: bad shape in %q", path, line)
			}
			p.Shape = append(p.Shape, n)
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// The golden files hold the state_dict of the authors' PyTorch model.
func TestParamTableMatchesAuthors(t *testing.T) {
	for _, c := range []struct {
		file                     string
		arch                     string
		image, classes, channels int
	}{
		{"testdata/seed_224.golden", seedString, 224, 1000, 3},
		{"testdata/scaled_gray_64.golden", "5,2,6,2|4,4,4,1|3,2,3,3|2,1,5,1|64,9", 64, 334, 1},
	} {
		want := readGolden(t, c.file)
		top, err := Parse(c.arch)
		if err != nil {
			t.Fatal(err)
		}
		s := NewSpec(top, c.image, c.classes)
		s.Channels = c.channels
		got := mustNew(t, s).ParamTable()
		if len(got) != len(want) {
			t.Fatalf("%s: %d parameters, want %d", c.file, len(got), len(want))
		}
		for k := range want {
			if got[k].Name != want[k].Name || !slices.Equal(got[k].Shape, want[k].Shape) {
				t.Errorf("%s: entry %d is %s %v, want %s %v", c.file, k, got[k].Name, got[k].Shape, want[k].Name, want[k].Shape)
			}
		}
	}
}

func TestParamTableKinds(t *testing.T) {
	table := mustNew(t, NewSpec(seedTopology, 224, 1000)).ParamTable()
	ntk := 0
	for _, p := range table {
		var want InitKind
		switch {
		case strings.HasPrefix(p.Name, "patch_embed.proj."):
			want = UniformFanIn
			if p.FanIn != 3*8*8 {
				t.Errorf("%s: fan-in %d, want 192", p.Name, p.FanIn)
			}
		case strings.HasSuffix(p.Name, ".bias"):
			want = Zeros
		case len(p.Shape) == 1: // a norm's weight
			want = Ones
		default:
			want = TruncNormal
		}
		if p.Init != want {
			t.Errorf("%s: init %v, want %v", p.Name, p.Init, want)
		}
		if p.NTK {
			ntk++
		}
	}
	// Weights reached from the features: the conv, the patch norm, 6 per
	// block in 4 blocks and 2 per re-embedding in 3.
	if ntk != 2+6*4+2*3 {
		t.Errorf("%d NTK parameters, want 32", ntk)
	}
	flags := map[string]bool{}
	for _, p := range table {
		flags[p.Name] = p.NTK
	}
	for name, want := range map[string]bool{
		"patch_embed.proj.weight": true, "patch_embed.proj.bias": false, "patch_embed.norm.weight": true,
		"layers.0.downsample.norm.weight": true, "layers.2.downsample.reduction.weight": true,
		"layers.3.blocks.0.mlps.0.1.fc2.weight": true, "layers.3.blocks.0.mlps.0.1.fc2.bias": false,
		"norm.weight": false, "head.0.weight": false, "head.2.weight": false,
	} {
		if got, ok := flags[name]; !ok || got != want {
			t.Errorf("%s: NTK %v (present %v), want %v", name, got, ok, want)
		}
	}
}

// randomSpec draws a topology from the space with random depths and hidden
// size (H ≤ 8C) at the given image size.
func randomSpec(rng *rand.Rand, image int) Spec {
	top := Sample(rng)
	for i := range top.Stages {
		top.Stages[i].Depth = 1 + rng.IntN(4)
	}
	top.Hidden = top.Heads/8 + rng.IntN(200)
	s := NewSpec(top, image, 1+rng.IntN(2000))
	s.Channels = []int{1, 3}[rng.IntN(2)]
	return s
}

func TestParamTableSumsToParams(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		for _, image := range []int{32, 224} {
			m := mustNew(t, randomSpec(rng, image))
			sum := int64(0)
			for _, p := range m.ParamTable() {
				sum += int64(p.Size())
			}
			if sum != m.Params() {
				t.Fatalf("%v at %d px: table sums to %d, Params() = %d", m.Spec().Topology, image, sum, m.Params())
			}
		}
	}
}

// moments returns the mean, the standard deviation and the kurtosis.
func moments(xs []float32) (mean, std, kurt float64) {
	for _, x := range xs {
		mean += float64(x)
	}
	mean /= float64(len(xs))
	var m2, m4 float64
	for _, x := range xs {
		d := float64(x) - mean
		m2 += d * d
		m4 += d * d * d * d
	}
	m2 /= float64(len(xs))
	m4 /= float64(len(xs))
	return mean, math.Sqrt(m2), m4 / (m2 * m2)
}

func TestInitStatistics(t *testing.T) {
	m := mustNew(t, NewSpec(seedTopology, 224, 1000))
	table := m.ParamTable()
	w := m.Init(42)
	var normal []float32
	for k, p := range table {
		v := w[k]
		switch p.Init {
		case Zeros, Ones:
			want := float32(0)
			if p.Init == Ones {
				want = 1
			}
			for _, x := range v {
				if x != want {
					t.Fatalf("%s: value %v, want %v", p.Name, x, want)
				}
			}
		case TruncNormal:
			normal = append(normal, v...)
		case UniformFanIn:
			b := 1 / math.Sqrt(float64(p.FanIn))
			maxAbs := 0.0
			for _, x := range v {
				maxAbs = max(maxAbs, math.Abs(float64(x)))
			}
			if maxAbs > float64(float32(b)) {
				t.Errorf("%s: |value| %v beyond the bound %v", p.Name, maxAbs, b)
			}
			if len(v) < 1000 {
				continue // the bias: only the bound can be checked on 32 values
			}
			// With 6144 draws, P(max < 0.99·b) = 0.99^6144 ≈ 1e-27.
			if maxAbs < 0.99*b {
				t.Errorf("%s: largest |value| %v, want near the bound %v", p.Name, maxAbs, b)
			}
			// The variance of a uniform is b²/3; its sample estimate has a
			// relative error of sqrt(0.8/n) ≈ 1.1% at n = 6144, so 6% is 5σ.
			_, std, _ := moments(v)
			if r := std * std / (b * b / 3); math.Abs(r-1) > 0.06 {
				t.Errorf("%s: variance %.3g of b²/3", p.Name, r)
			}
		}
	}
	n := float64(len(normal))
	mean, std, kurt := moments(normal)
	// The mean's standard error is 0.02/sqrt(n); allow 5 of them.
	if math.Abs(mean) > 5*TruncNormalStd/math.Sqrt(n) {
		t.Errorf("normal weights: mean %v over %v values", mean, n)
	}
	// The sample std's relative error is 1/sqrt(2n) ≈ 0.05% here; 0.5% is
	// 10 of those yet rejects any other scale.
	if math.Abs(std/TruncNormalStd-1) > 0.005 {
		t.Errorf("normal weights: std %v, want %v", std, TruncNormalStd)
	}
	// A normal's kurtosis is 3 (a uniform's 1.8); its standard error is
	// sqrt(24/n) ≈ 0.003 here.
	if math.Abs(kurt-3) > 0.05 {
		t.Errorf("normal weights: kurtosis %v, want 3", kurt)
	}
	for _, x := range normal {
		if math.Abs(float64(x)) > TruncNormalCut {
			t.Fatalf("normal weight %v beyond the cut", x)
		}
	}
}

func TestInitDeterminism(t *testing.T) {
	s := NewSpec(seedTopology, 32, 10)
	m := mustNew(t, s)
	table := m.ParamTable()
	a := m.Init(7)
	if !equalWeights(a, m.Init(7)) {
		t.Fatal("Init(7) differs between calls")
	}
	prev := runtime.GOMAXPROCS(1)
	serial := m.Init(7)
	runtime.GOMAXPROCS(prev)
	if !equalWeights(a, serial) {
		t.Fatal("Init(7) depends on the number of workers")
	}
	dst := make([][]float32, len(table))
	for k, p := range table {
		dst[k] = make([]float32, p.Size())
	}
	if err := m.InitInto(7, dst); err != nil || !equalWeights(a, dst) {
		t.Fatalf("InitInto(7) differs from Init(7) (%v)", err)
	}
	b := m.Init(8)
	firsts := map[float32]string{}
	for k, p := range table {
		if p.Init != TruncNormal && p.Init != UniformFanIn {
			continue
		}
		if slices.Equal(a[k], b[k]) {
			t.Errorf("%s: seeds 7 and 8 draw the same values", p.Name)
		}
		if other, ok := firsts[a[k][0]]; ok {
			t.Errorf("%s and %s start with the same value: streams are shared", p.Name, other)
		}
		firsts[a[k][0]] = p.Name
	}
	// More classes change head.2 only: every other parameter keeps its stream.
	s.Classes = 20
	c := mustNew(t, s).Init(7)
	for k, p := range table {
		if same := slices.Equal(a[k], c[k]); same == strings.HasPrefix(p.Name, "head.2.") {
			t.Errorf("%s: equal across class counts = %v", p.Name, same)
		}
	}
}

func equalWeights(a, b [][]float32) bool {
	return slices.EqualFunc(a, b, func(x, y []float32) bool { return slices.Equal(x, y) })
}

func TestInitIntoErrors(t *testing.T) {
	m := mustNew(t, NewSpec(seedTopology, 32, 10))
	n := len(m.ParamTable())
	if err := m.InitInto(1, make([][]float32, n-1)); err == nil ||
		err.Error() != fmt.Sprintf("init: got %d buffers, want %d (one per ParamTable entry)", n-1, n) {
		t.Errorf("short buffer list: %v", err)
	}
	if err := m.InitInto(1, make([][]float32, n)); err == nil ||
		err.Error() != "init: buffer 0 (patch_embed.proj.weight) has 0 values, want 6144" {
		t.Errorf("empty buffer: %v", err)
	}
}

func TestInitKindString(t *testing.T) {
	got := fmt.Sprint(TruncNormal, Zeros, Ones, UniformFanIn, Constant, InitKind(9))
	if got != "trunc_normal zeros ones uniform_fan_in constant InitKind(9)" {
		t.Errorf("InitKind names %q", got)
	}
}

func BenchmarkParamTable(b *testing.B) {
	m := mustNew(b, NewSpec(largeTopology, 224, 1000))
	for b.Loop() {
		_ = m.ParamTable()
	}
}

// The seed at 4× width (C = 128), the model the scaling counts.
func BenchmarkInitSeedWide(b *testing.B) {
	top := seedTopology
	top.Hidden = 4 * DefaultHidden
	benchmarkInit(b, NewSpec(top, 224, 1000))
}

func BenchmarkInitLarge(b *testing.B) { benchmarkInit(b, NewSpec(largeTopology, 224, 1000)) }

func benchmarkInit(b *testing.B, s Spec) {
	m := mustNew(b, s)
	dst := m.Init(0)
	for i := 0; b.Loop(); i++ {
		if err := m.InitInto(uint64(i), dst); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(m.Params())/1e6, "Mparams")
}
