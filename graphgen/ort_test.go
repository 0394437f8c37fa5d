package graphgen_test

import (
	"fmt"
	"testing"

	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/ort"
	onnxruntime "github.com/yalue/onnxruntime_go"
)

// ortSession is a model loaded into ONNX Runtime with input tensors made
// from feeds; destroy releases both.
type ortSession struct {
	sess    *onnxruntime.DynamicAdvancedSession
	inputs  []onnxruntime.Value
	outputs []onnxruntime.Value
}

// newORTSession serialises g and loads it on the CPU with one thread. It
// fails t, saying how to install the library, when ONNX Runtime is missing.
func newORTSession(t testing.TB, g *graphgen.Graph, feeds map[*graphgen.Value][]float64) *ortSession {
	t.Helper()
	if err := ort.Init(); err != nil {
		t.Fatalf("%v (run `bash scripts/install-ort.sh` from the repository root)", err)
	}
	model, err := g.Model()
	if err != nil {
		t.Fatal(err)
	}
	s := &ortSession{}
	var inNames, outNames []string
	for _, v := range append(g.Inputs(), g.Params()...) {
		shape := make(onnxruntime.Shape, v.Rank())
		for i, d := range v.Shape() {
			shape[i] = int64(d)
		}
		tensor, err := ortTensor(v, shape, feeds[v])
		if err != nil {
			s.destroy()
			t.Fatalf("input %s: %v", v, err)
		}
		s.inputs, inNames = append(s.inputs, tensor), append(inNames, v.Name())
	}
	for _, v := range g.Outputs() {
		outNames = append(outNames, v.Name())
	}
	opts, err := onnxruntime.NewSessionOptions()
	if err != nil {
		s.destroy()
		t.Fatal(err)
	}
	defer opts.Destroy()
	if err := opts.SetIntraOpNumThreads(1); err != nil {
		s.destroy()
		t.Fatal(err)
	}
	if s.sess, err = onnxruntime.NewDynamicAdvancedSessionWithONNXData(model, inNames, outNames, opts); err != nil {
		s.destroy()
		t.Fatalf("loading %s into onnxruntime: %v", g.Name, err)
	}
	s.outputs = make([]onnxruntime.Value, len(outNames))
	return s
}

// run executes the session; the outputs are allocated on the first run and
// reused afterwards.
func (s *ortSession) run(t testing.TB) {
	if err := s.sess.Run(s.inputs, s.outputs); err != nil {
		t.Fatalf("running in onnxruntime: %v", err)
	}
}

// ortTensor makes a tensor of v's dtype (float32 or float64) holding data.
func ortTensor(v *graphgen.Value, shape onnxruntime.Shape, data []float64) (onnxruntime.Value, error) {
	if v.DType() == graphgen.Float64 {
		f64 := make([]float64, v.Size())
		copy(f64, data)
		return onnxruntime.NewTensor(shape, f64)
	}
	f32 := make([]float32, v.Size())
	for i, x := range data {
		f32[i] = float32(x)
	}
	return onnxruntime.NewTensor(shape, f32)
}

// results returns the outputs as float64.
func (s *ortSession) results(t testing.TB) [][]float64 {
	res := make([][]float64, len(s.outputs))
	for i, o := range s.outputs {
		switch tensor := o.(type) {
		case *onnxruntime.Tensor[float32]:
			for _, x := range tensor.GetData() {
				res[i] = append(res[i], float64(x))
			}
		case *onnxruntime.Tensor[float64]:
			res[i] = tensor.GetData()
		default:
			t.Fatalf("output %d is %T, want a float tensor", i, o)
		}
	}
	return res
}

func (s *ortSession) destroy() {
	for _, v := range append(s.inputs, s.outputs...) {
		if v != nil {
			v.Destroy()
		}
	}
	if s.sess != nil {
		s.sess.Destroy()
	}
}

// runORT runs g's outputs once in float32.
func runORT(t testing.TB, g *graphgen.Graph, feeds map[*graphgen.Value][]float64) [][]float64 {
	t.Helper()
	s := newORTSession(t, g, feeds)
	defer s.destroy()
	s.run(t)
	return s.results(t)
}

// precisions are the float types graphs are checked in, each with the
// relative error its results are held to: float64 rounding along a short
// chain of ops, and float32's through ONNX Runtime.
var precisions = []struct {
	dt  graphgen.DType
	tol float64
}{{graphgen.Float64, 1e-12}, {graphgen.Float32, 1e-5}}

// checkORT rounds f's feeds to float32, then compares outs run in ONNX
// Runtime with their float64 evaluation: within tol of max(1, |value|).
func (f *fixture) checkORT(t *testing.T, outs []*graphgen.Value, tol float64) {
	t.Helper()
	for _, data := range f.feeds {
		for k := range data {
			data[k] = float64(float32(data[k]))
		}
	}
	want := f.run(t, outs, nil)
	for k, v := range outs {
		f.Output(fmt.Sprintf("out%d", k), v)
	}
	got := runORT(t, f.Graph, f.feeds)
	for k := range want {
		for j := range want[k] {
			if !near(got[k][j], want[k][j], tol) {
				t.Fatalf("output %d (%s) element %d: onnxruntime %.9g, evaluator %.9g", k, outs[k].Name(), j, got[k][j], want[k][j])
			}
		}
	}
}

// LayerNorm gradients run in ONNX Runtime in both float types: float32 ones
// read the node's Mean and InvStdDev outputs, which ONNX Runtime has no
// float64 kernel for, so float64 ones recompute the statistics.
func TestLayerNormGradientRunsInORT(t *testing.T) {
	for _, c := range precisions {
		t.Run(c.dt.String(), func(t *testing.T) {
			f := newFixture("ln-"+c.dt.String(), 5)
			f.dt = c.dt
			x := f.in(-2, 2, 3, 5)
			y := f.LayerNorm(x, f.in(0.5, 1.5, 5), f.in(-1, 1, 5), 1e-5)
			grads, err := graphgen.VJP([]*graphgen.Value{y}, []*graphgen.Value{f.in(-1, 1, 3, 5)}, f.xs[:3])
			if err != nil {
				t.Fatal(err)
			}
			f.checkORT(t, grads, c.tol)
		})
	}
}
