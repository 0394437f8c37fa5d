package complexity

import (
	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/vit"
)

// fastEval runs Method Fast: one session whose single Run gives Θ and the
// curve's Jacobian-vector products.
type fastEval struct {
	compiled
	probe     *probeTensors
	params    []*ort.Tensor
	bufs      [][]float32
	gram, jvp *ort.Tensor // outputs, written in place by every Run
}

func newFastEval(m vit.Model, s Settings, probe *probeTensors, t *Timing) (*fastEval, error) {
	c, err := compile(func() (*measureGraph, error) { return buildFast(m, s, sessionDType) }, s.ORT, t)
	if err != nil {
		return nil, err
	}
	f := &fastEval{compiled: c, probe: probe}
	if f.params, f.bufs, err = paramTensors(m); err == nil {
		b, n, nf := int64(s.Batch), int64(s.CurvePoints), int64(m.Spec().Features())
		if f.gram, err = ort.ZerosFloat32([]int64{b, b}); err == nil {
			f.jvp, err = ort.ZerosFloat32([]int64{n, nf})
		}
	}
	if err != nil {
		f.destroy()
		return nil, err
	}
	return f, nil
}

func (f *fastEval) buffers() [][]float32 { return f.bufs }

func (f *fastEval) run(r int) (theta []float64, length float64, err error) {
	in := append([]*ort.Tensor{f.probe.images, f.probe.points[r], f.probe.tangents[r]}, f.params...)
	if err := f.sess.RunInto(in, []*ort.Tensor{f.gram, f.jvp}); err != nil {
		return nil, 0, err
	}
	return toFloat64(f.gram.Float32s()), curveLength(toFloat64(f.jvp.Float32s()), f.probe.curvePoints), nil
}

func (f *fastEval) destroy() {
	f.sess.Destroy()
	ort.DestroyAll(f.params)
	f.gram.Destroy()
	f.jvp.Destroy()
}

func (f *fastEval) reads() map[string]bool { return f.read }
