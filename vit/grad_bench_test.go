package vit

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/ort"
)

// gradBench is a session over a graph whose inputs are every parameter and
// then the extra inputs, with tensors ready to run.
type gradBench struct {
	sess   *ort.Session
	inputs []*ort.Tensor
}

func newGradBench(b *testing.B, m Model, g *graphgen.Graph, params []*graphgen.Value, extra ...*graphgen.Value) *gradBench {
	b.Helper()
	model, err := g.Model()
	if err != nil {
		b.Fatal(err)
	}
	weights := m.Init(1)
	var names []string
	gb := &gradBench{}
	for k, p := range params {
		names = append(names, p.Name())
		gb.inputs = append(gb.inputs, mustTensor(b, p.Shape(), weights[k]))
	}
	for _, v := range extra {
		names = append(names, v.Name())
		data := make([]float32, v.Size())
		for i := range data {
			data[i] = float32(i%7) * 0.1
		}
		gb.inputs = append(gb.inputs, mustTensor(b, v.Shape(), data))
	}
	gb.sess, err = ort.NewSession(model, names, nil, ort.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { gb.sess.Destroy(); ort.DestroyAll(gb.inputs) })
	return gb
}

func mustTensor(b *testing.B, shape []int, data []float32) *ort.Tensor {
	s := make([]int64, len(shape))
	for i, d := range shape {
		s[i] = int64(d)
	}
	t, err := ort.NewFloat32(s, data)
	if err != nil {
		b.Fatal(err)
	}
	return t
}

func (gb *gradBench) run(b *testing.B) {
	outs, err := gb.sess.Run(gb.inputs)
	if err != nil {
		b.Fatal(err)
	}
	ort.DestroyAll(outs)
}

// BenchmarkAutodiff times, for the seed at batch 16, one forward pass, one
// forward+backward pass (gradient of the summed logits w.r.t. every
// parameter), the one-pass per-sample Gram of the NTK parameters, and the B
// separate backward passes it replaces. Compare within one run.
func BenchmarkAutodiff(b *testing.B) {
	const batch = 16
	for _, image := range []int{32, 64, 224} {
		m := mustModel(b, "8,2,3|4,1,2|4,1,4|4,1,6|32", image, 1000)
		var ntk []int
		for k, p := range m.ParamTable() {
			if p.NTK {
				ntk = append(ntk, k)
			}
		}
		build := func(out Output) (*graphgen.Graph, []*graphgen.Value, *graphgen.Value, *graphgen.Value) {
			g := graphgen.New("bench")
			g.ParamsAsInputs = true
			params, err := m.DeclareParams(g, graphgen.Float32, nil)
			if err != nil {
				b.Fatal(err)
			}
			x := g.Input("x", graphgen.Float32, batch, 3, image, image)
			outs, err := m.Forward(g, x, params, ForwardOptions{Output: out})
			if err != nil {
				b.Fatal(err)
			}
			return g, params, x, outs[0]
		}
		pick := func(params []*graphgen.Value) []*graphgen.Value {
			var out []*graphgen.Value
			for _, k := range ntk {
				out = append(out, params[k])
			}
			return out
		}
		b.Run(fmt.Sprintf("%dpx/forward", image), func(b *testing.B) {
			g, params, x, y := build(Logits)
			g.Output("y", y)
			gb := newGradBench(b, m, g, params, x)
			reportRun(b, gb, 2*m.MACs()*batch)
		})
		b.Run(fmt.Sprintf("%dpx/forward+backward", image), func(b *testing.B) {
			g, params, x, y := build(Logits)
			grads, err := graphgen.VJP([]*graphgen.Value{y}, nil, params)
			if err != nil {
				b.Fatal(err)
			}
			for k, gv := range grads {
				g.Output(fmt.Sprintf("grad%d", k), gv)
			}
			gb := newGradBench(b, m, g, params, x)
			reportRun(b, gb, 3*2*m.MACs()*batch)
		})
		b.Run(fmt.Sprintf("%dpx/gram", image), func(b *testing.B) {
			g, params, x, y := build(Features)
			theta, err := graphgen.PerSampleGram(g.ReduceSum(y, false, 1), pick(params))
			if err != nil {
				b.Fatal(err)
			}
			g.Output("gram", theta)
			gb := newGradBench(b, m, g, params, x)
			reportRun(b, gb, 0)
		})
		b.Run(fmt.Sprintf("%dpx/separate-backward-x%d", image, batch), func(b *testing.B) {
			g, params, x, y := build(Features)
			seed := g.Input("seed", graphgen.Float32, y.Shape()...)
			grads, err := graphgen.VJP([]*graphgen.Value{y}, []*graphgen.Value{seed}, pick(params))
			if err != nil {
				b.Fatal(err)
			}
			for k, gv := range grads {
				g.Output(fmt.Sprintf("grad%d", k), gv)
			}
			gb := newGradBench(b, m, g, params, x, seed)
			b.ResetTimer()
			for b.Loop() {
				for range batch { // one backward pass per sample, seed row b set to ones
					gb.run(b)
				}
			}
			reportRSS(b)
		})
	}
}

func reportRun(b *testing.B, gb *gradBench, flops int64) {
	b.ResetTimer()
	for b.Loop() {
		gb.run(b)
	}
	if flops > 0 {
		b.ReportMetric(float64(flops)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
	reportRSS(b)
}

// reportRSS reports the process's peak resident set (VmHWM) in MiB.
func reportRSS(b *testing.B) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
				b.ReportMetric(kb/1024, "peak-MiB")
			}
		}
	}
}
