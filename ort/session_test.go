package ort

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/advancedclimatesystems/gonnx/onnx"
)

func randFloat32s(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// affineInGo computes x·w + b for x [batch, k], w [k, n], b [n] in float64.
func affineInGo(x, w, b []float32, k, n int) []float64 {
	batch := len(x) / k
	y := make([]float64, batch*n)
	for r := range batch {
		for c := range n {
			sum := float64(b[c])
			for i := range k {
				sum += float64(x[r*k+i]) * float64(w[i*n+c])
			}
			y[r*n+c] = sum
		}
	}
	return y
}

// newTensors builds float32 tensors, failing the test on error.
func newTensors(tb testing.TB, shapes [][]int64, data ...[]float32) []*Tensor {
	tb.Helper()
	ts := make([]*Tensor, len(data))
	for i := range data {
		var err error
		if ts[i], err = NewFloat32(shapes[i], data[i]); err != nil {
			DestroyAll(ts)
			tb.Fatal(err)
		}
	}
	tb.Cleanup(func() { DestroyAll(ts) })
	return ts
}

func openSession(tb testing.TB, model []byte, inputs, outputs []string, opts Options) *Session {
	tb.Helper()
	initORT(tb)
	s, err := NewSession(model, inputs, outputs, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Destroy)
	return s
}

// checkAffine runs s (bound to X, W, B in that order) on random data and
// compares Y with Go arithmetic.
func checkAffine(t *testing.T, s *Session, rng *rand.Rand, batch, k, n int) {
	t.Helper()
	x, w, b := randFloat32s(rng, batch*k), randFloat32s(rng, k*n), randFloat32s(rng, n)
	in := newTensors(t, [][]int64{{int64(batch), int64(k)}, {int64(k), int64(n)}, {int64(n)}}, x, w, b)
	out, err := s.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	defer DestroyAll(out)
	if got := out[0].Shape(); !slices.Equal(got, []int64{int64(batch), int64(n)}) {
		t.Fatalf("output shape %v, want [%d %d]", got, batch, n)
	}
	want := affineInGo(x, w, b, k, n)
	for i, y := range out[0].Float32s() {
		// float32 accumulation of k unit-normal products, in any order, is
		// within a few ulps of the float64 sum times k.
		if tol := 1e-6 * float64(k) * (1 + math.Abs(want[i])); math.Abs(float64(y)-want[i]) > tol {
			t.Errorf("batch %d, Y[%d] = %v, Go computes %v", batch, i, y, want[i])
		}
	}
}

func TestAffineMatchesGo(t *testing.T) {
	const k, n = 5, 3
	s := openSession(t, affineModel(t, k, n), nil, nil, Options{})
	if got := names(s.Inputs()); !slices.Equal(got, []string{"X", "W", "B"}) {
		t.Errorf("default inputs %v, want the declaration order X, W, B", got)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, batch := range []int{1, 4, 7} { // X's first dimension is dynamic
		checkAffine(t, s, rng, batch, k, n)
	}
}

func TestOptionsGiveSameResults(t *testing.T) {
	const k, n = 8, 4
	model := affineModel(t, k, n)
	for _, opts := range []Options{{Threads: 1, OptLevel: OptDisable}, {Threads: 2, OptLevel: OptBasic}, {OptLevel: OptExtended}} {
		t.Run(fmt.Sprintf("%d threads, %v", opts.Threads, opts.OptLevel), func(t *testing.T) {
			checkAffine(t, openSession(t, model, nil, nil, opts), rand.New(rand.NewPCG(3, 4)), 3, k, n)
		})
	}
}

func TestInputOrderFollowsNames(t *testing.T) {
	s := openSession(t, affineModel(t, 2, 2), []string{"B", "W", "X"}, nil, Options{})
	in := newTensors(t, [][]int64{{2}, {2, 2}, {1, 2}}, []float32{10, 20}, []float32{1, 2, 3, 4}, []float32{1, 1})
	out, err := s.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	defer DestroyAll(out)
	// [1 1]·[[1 2] [3 4]] + [10 20] = [14 26]
	if got := out[0].Float32s(); !slices.Equal(got, []float32{14, 26}) {
		t.Errorf("Y = %v, want [14 26]", got)
	}
}

func TestFloat64Add(t *testing.T) {
	s := openSession(t, binaryModel(t, "Add", Float64, 2, 3), nil, nil, Options{})
	rng := rand.New(rand.NewPCG(5, 6))
	a, b := make([]float64, 6), make([]float64, 6)
	for i := range a {
		a[i], b[i] = rng.NormFloat64(), rng.NormFloat64()*1e-9
	}
	ta, err := NewFloat64([]int64{2, 3}, a)
	if err != nil {
		t.Fatal(err)
	}
	defer ta.Destroy()
	tb, err := NewFloat64([]int64{2, 3}, b)
	if err != nil {
		t.Fatal(err)
	}
	defer tb.Destroy()
	out, err := s.Run([]*Tensor{ta, tb})
	if err != nil {
		t.Fatal(err)
	}
	defer DestroyAll(out)
	for i, c := range out[0].Float64s() {
		if c != a[i]+b[i] { // one IEEE addition each side: bit-identical
			t.Errorf("C[%d] = %v, Go computes %v", i, c, a[i]+b[i])
		}
	}
}

func TestInt64AndBool(t *testing.T) {
	mul := openSession(t, binaryModel(t, "Mul", Int64, 4), nil, nil, Options{})
	a, b := []int64{-3, 0, 7, 1 << 31}, []int64{5, 9, -7, 4}
	ta, _ := NewInt64([]int64{4}, a)
	tb, err := NewInt64([]int64{4}, b)
	if err != nil {
		t.Fatal(err)
	}
	defer DestroyAll([]*Tensor{ta, tb})
	out, err := mul.Run([]*Tensor{ta, tb})
	if err != nil {
		t.Fatal(err)
	}
	defer DestroyAll(out)
	for i, c := range out[0].Int64s() {
		if c != a[i]*b[i] {
			t.Errorf("int64 C[%d] = %d, want %d", i, c, a[i]*b[i])
		}
	}

	xor := openSession(t, binaryModel(t, "Xor", Bool, 2, 2), nil, nil, Options{})
	p, q := []bool{true, true, false, false}, []bool{true, false, true, false}
	tp, _ := NewBool([]int64{2, 2}, p)
	tq, err := NewBool([]int64{2, 2}, q)
	if err != nil {
		t.Fatal(err)
	}
	defer DestroyAll([]*Tensor{tp, tq})
	out2, err := xor.Run([]*Tensor{tp, tq})
	if err != nil {
		t.Fatal(err)
	}
	defer DestroyAll(out2)
	for i, c := range out2[0].Bools() {
		if c != (p[i] != q[i]) {
			t.Errorf("bool C[%d] = %t, want %t", i, c, p[i] != q[i])
		}
	}
}

// scaleAndSumModel computes Y = s·X and Z = ΣX for a scalar s and X [3].
func scaleAndSumModel(tb testing.TB) []byte {
	keepdims := &onnx.AttributeProto{Name: "keepdims", Type: onnx.AttributeProto_INT, I: 0}
	return encodeGraph(tb, &onnx.GraphProto{
		Node: []*onnx.NodeProto{
			node("Mul", []string{"s", "X"}, []string{"Y"}),
			node("ReduceSum", []string{"X"}, []string{"Z"}, keepdims),
		},
		Input:  []*onnx.ValueInfoProto{tensorValue("s", Float32), tensorValue("X", Float32, 3)},
		Output: []*onnx.ValueInfoProto{tensorValue("Y", Float32, 3), tensorValue("Z", Float32)},
	})
}

func TestScalarInputsAndOutputs(t *testing.T) {
	s := openSession(t, scaleAndSumModel(t), nil, nil, Options{})
	in := newTensors(t, [][]int64{{}, {3}}, []float32{1}, []float32{1, 2, 4})
	for _, scale := range []float32{3, -0.5} {
		in[0].Float32s()[0] = scale // the scalar's storage is what the run reads
		out, err := s.Run(in)
		if err != nil {
			t.Fatal(err)
		}
		wantY := []float32{scale, 2 * scale, 4 * scale}
		if got := out[0].Float32s(); !slices.Equal(got, wantY) {
			t.Errorf("scale %v: Y = %v, want %v", scale, got, wantY)
		}
		if z := out[1]; len(z.Shape()) != 0 || !slices.Equal(z.Float32s(), []float32{7}) {
			t.Errorf("Z = %v %v, want the scalar 7", z, z.Float32s())
		}
		DestroyAll(out)
	}
}

func TestRunIntoPingPong(t *testing.T) {
	s := openSession(t, binaryModel(t, "Add", Float32, 2), nil, nil, Options{})
	state := newTensors(t, [][]int64{{2}, {2}, {2}}, []float32{1, 2}, []float32{0, 0}, []float32{0.5, -1})
	cur, next, delta := state[0], state[1], state[2]
	for step := range 5 {
		out := []*Tensor{next}
		if err := s.RunInto([]*Tensor{cur, delta}, out); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if out[0] != next {
			t.Fatal("RunInto replaced a tensor it was given")
		}
		cur, next = next, cur
	}
	// five steps of +[0.5 -1] from [1 2]; halves are exact in float32
	if got := cur.Float32s(); !slices.Equal(got, []float32{3.5, -3}) {
		t.Errorf("after 5 steps state = %v, want [3.5 -3]", got)
	}
}

func TestRunIntoMixedOutputs(t *testing.T) {
	s := openSession(t, scaleAndSumModel(t), nil, []string{"Z", "Y"}, Options{})
	in := newTensors(t, [][]int64{{}, {3}}, []float32{2}, []float32{1, 2, 3})
	y := newTensors(t, [][]int64{{3}}, []float32{9, 9, 9})[0]
	out := []*Tensor{nil, y}
	if err := s.RunInto(in, out); err != nil {
		t.Fatal(err)
	}
	defer out[0].Destroy()
	if out[1] != y || !slices.Equal(y.Float32s(), []float32{2, 4, 6}) {
		t.Errorf("preallocated Y = %v, want [2 4 6] written in place", y.Float32s())
	}
	if out[0] == nil || !slices.Equal(out[0].Float32s(), []float32{6}) {
		t.Errorf("allocated Z = %v, want the scalar 6", out[0])
	}
}

func TestRunErrors(t *testing.T) {
	s := openSession(t, affineModel(t, 4, 2), nil, nil, Options{})
	good := newTensors(t, [][]int64{{3, 4}, {4, 2}, {2}}, make([]float32, 12), make([]float32, 8), make([]float32, 2))
	wide := newTensors(t, [][]int64{{3, 5}}, make([]float32, 15))[0]
	rank3 := newTensors(t, [][]int64{{1, 3, 4}}, make([]float32, 12))[0]
	f64, err := ZerosFloat64([]int64{3, 4})
	if err != nil {
		t.Fatal(err)
	}
	defer f64.Destroy()
	gone, err := ZerosFloat32([]int64{4, 2})
	if err != nil {
		t.Fatal(err)
	}
	gone.Destroy()
	badOut := newTensors(t, [][]int64{{3, 3}}, make([]float32, 9))[0]

	tests := []struct {
		name    string
		in, out []*Tensor
		want    string
	}{
		{"wrong width", []*Tensor{wide, good[1], good[2]}, []*Tensor{nil},
			`run session: input "X": got float32 [3 5], the model declares float32 [-1 4] (negative dims are dynamic)`},
		{"wrong rank", []*Tensor{rank3, good[1], good[2]}, []*Tensor{nil}, `input "X": got float32 [1 3 4]`},
		{"wrong type", []*Tensor{f64, good[1], good[2]}, []*Tensor{nil}, `input "X": got float64 [3 4], the model declares float32 [-1 4]`},
		{"too few", good[:2], []*Tensor{nil}, "got 2 inputs, the session takes 3 (X, W, B)"},
		{"nil input", []*Tensor{good[0], nil, good[2]}, []*Tensor{nil}, `input "W": tensor is nil or destroyed`},
		{"destroyed input", []*Tensor{good[0], gone, good[2]}, []*Tensor{nil}, `input "W": tensor is nil or destroyed`},
		{"wrong output shape", good, []*Tensor{badOut}, `output "Y": got float32 [3 3], the model declares float32 [-1 2]`},
		{"output count", good, []*Tensor{nil, nil}, "got 2 outputs, the session takes 1 (Y)"},
	}
	for _, tc := range tests {
		out := slices.Clone(tc.out)
		err := s.RunInto(tc.in, out)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
		if !slices.Equal(out, tc.out) {
			t.Errorf("%s: a failed RunInto changed out", tc.name)
		}
	}
}

func TestRunRuntimeError(t *testing.T) {
	s := openSession(t, binaryModel(t, "Add", Float32, -1), nil, nil, Options{})
	in := newTensors(t, [][]int64{{2}, {3}}, []float32{1, 2}, []float32{1, 2, 3})
	out := []*Tensor{nil}
	err := s.RunInto(in, out)
	if err == nil || !strings.HasPrefix(err.Error(), "run session: onnx runtime: ") {
		t.Errorf("adding [2] to [3]: error %v, want one from the runtime", err)
	}
	if out[0] != nil {
		t.Error("a failed run filled an output")
	}
	t.Logf("runtime error reads: %v", err)
}

func TestNewSessionErrors(t *testing.T) {
	initORT(t)
	affine := affineModel(t, 2, 2)
	unknownOp := encodeGraph(t, &onnx.GraphProto{
		Node:   []*onnx.NodeProto{node("NoSuchOp", []string{"A"}, []string{"C"})},
		Input:  []*onnx.ValueInfoProto{tensorValue("A", Float32, 2)},
		Output: []*onnx.ValueInfoProto{tensorValue("C", Float32, 2)},
	})
	noInputs := encodeGraph(t, &onnx.GraphProto{Output: []*onnx.ValueInfoProto{tensorValue("C", Float32, 2)}})
	tests := []struct {
		name            string
		model           []byte
		inputs, outputs []string
		opts            Options
		want            string
	}{
		{"corrupt bytes", []byte("\x08\x07garbage\xff\xff"), nil, nil, Options{}, "create session: read model: not an ONNX protobuf"},
		{"truncated", affine[:len(affine)/2], nil, nil, Options{}, "create session: read model:"},
		{"unknown op", unknownOp, nil, nil, Options{}, "create session: onnx runtime rejected the model:"},
		{"no inputs", noInputs, nil, nil, Options{}, "the model has no inputs"},
		{"unknown input", affine, []string{"X", "W", "Q"}, nil, Options{}, `the model has no input "Q"; its inputs are X, W, B`},
		{"duplicate input", affine, []string{"X", "W", "W"}, nil, Options{}, `input "W" is listed twice`},
		{"missing input", affine, []string{"X", "W"}, nil, Options{}, `input "B" is not listed; every model input must be fed (X, W, B)`},
		{"unknown output", affine, nil, []string{"Z"}, Options{}, `the model has no output "Z"; its outputs are Y`},
		{"bad options", affine, nil, nil, Options{Threads: -2}, "create session: threads -2 is negative"},
	}
	for _, tc := range tests {
		s, err := NewSession(tc.model, tc.inputs, tc.outputs, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
		if s != nil {
			t.Errorf("%s: got a session along with the error", tc.name)
			s.Destroy()
		}
	}
}

func TestSessionDestroy(t *testing.T) {
	var nilSession *Session
	nilSession.Destroy()
	(&Session{}).Destroy()

	s := openSession(t, affineModel(t, 2, 2), nil, nil, Options{})
	s.Destroy()
	s.Destroy()
	if _, err := nilSession.Run(nil); err == nil {
		t.Error("Run on a nil session gave no error")
	}
	in := newTensors(t, [][]int64{{1, 2}, {2, 2}, {2}}, make([]float32, 2), make([]float32, 4), make([]float32, 2))
	if _, err := s.Run(in); err == nil || err.Error() != "run session: the session is destroyed" {
		t.Errorf("Run after Destroy: error %v", err)
	}
}

func TestConcurrentRuns(t *testing.T) {
	const k, n = 6, 3
	s := openSession(t, affineModel(t, k, n), nil, nil, Options{Threads: 1})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			t.Run(fmt.Sprintf("goroutine %d", g), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(g), 7))
				for range 5 {
					checkAffine(t, s, rng, 2+g, k, n)
				}
			})
		})
	}
	wg.Wait()
}

func TestCUDADevice(t *testing.T) {
	initORT(t)
	s, err := NewSession(affineModel(t, 3, 2), nil, nil, Options{Device: CUDA})
	if err != nil {
		if !errors.Is(err, ErrCUDAUnavailable) || !strings.Contains(err.Error(), LibraryEnv) || !strings.Contains(err.Error(), LibraryPath()) {
			t.Fatalf("error %v should wrap ErrCUDAUnavailable and name the library and %s", err, LibraryEnv)
		}
		t.Logf("as expected for a CPU build: %v", err)
		return
	}
	defer s.Destroy()
	checkAffine(t, s, rand.New(rand.NewPCG(8, 9)), 4, 3, 2)
}

func BenchmarkNewSession(b *testing.B) {
	initORT(b)
	model := affineModel(b, 64, 64)
	for b.Loop() {
		s, err := NewSession(model, nil, nil, Options{})
		if err != nil {
			b.Fatal(err)
		}
		s.Destroy()
	}
}

// benchmarkRunInto times one run of Y = X·W + B for X [1, size] and W
// [size, size], writing into a preallocated Y.
func benchmarkRunInto(b *testing.B, size int64) {
	s := openSession(b, affineModel(b, size, size), nil, nil, Options{})
	rng := rand.New(rand.NewPCG(10, 11))
	in := newTensors(b, [][]int64{{1, size}, {size, size}, {size}},
		randFloat32s(rng, int(size)), randFloat32s(rng, int(size*size)), randFloat32s(rng, int(size)))
	out := newTensors(b, [][]int64{{1, size}}, make([]float32, size))
	for b.Loop() {
		if err := s.RunInto(in, out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRunInto16(b *testing.B)  { benchmarkRunInto(b, 16) }
func BenchmarkRunInto64(b *testing.B)  { benchmarkRunInto(b, 64) }
func BenchmarkRunInto256(b *testing.B) { benchmarkRunInto(b, 256) }

// BenchmarkRunAllocating is BenchmarkRunInto64 with the output allocated by
// each run.
func BenchmarkRunAllocating(b *testing.B) {
	const size = 64
	s := openSession(b, affineModel(b, size, size), nil, nil, Options{})
	rng := rand.New(rand.NewPCG(10, 11))
	in := newTensors(b, [][]int64{{1, size}, {size, size}, {size}},
		randFloat32s(rng, size), randFloat32s(rng, size*size), randFloat32s(rng, size))
	for b.Loop() {
		out, err := s.Run(in)
		if err != nil {
			b.Fatal(err)
		}
		DestroyAll(out)
	}
}

func TestFailedModelIsSavedWhenAsked(t *testing.T) {
	initORT(t)
	dir := t.TempDir()
	t.Setenv(SaveFailedModelsEnv, dir)
	_, err := NewSession([]byte("not a model"), nil, nil, Options{})
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("want an error naming the saved file under %s, got %v", dir, err)
	}
	files, _ := os.ReadDir(dir)
	if len(files) != 1 {
		t.Fatalf("want one saved model, found %d", len(files))
	}
}
