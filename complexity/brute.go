package complexity

import (
	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/vit"
)

// bruteEval runs Method BruteForce, the authors' way: κ from one backward
// pass per sample (a one-hot seed on its features), Θ = G·Gᵀ accumulated in
// float64 here; L^E from one backward pass per feature coordinate, each
// point's input gradient dotted with its tangent here in float64.
type bruteEval struct {
	ntk, curve compiled
	probe      *probeTensors
	params     []*ort.Tensor
	bufs       [][]float32
	batch, nf  int
	// seeds and outputs, reused by every Run
	ntkSeed, ntkGrads, curveSeed, curveGrad *ort.Tensor
}

func newBruteEval(m vit.Model, s Settings, probe *probeTensors, t *Timing) (*bruteEval, error) {
	e := &bruteEval{probe: probe, batch: s.Batch, nf: m.Spec().Features()}
	var err error
	if e.ntk, err = compile(func() (*measureGraph, error) { return buildBruteNTK(m, s, sessionDType) }, s.ORT, t); err != nil {
		return nil, err
	}
	if e.curve, err = compile(func() (*measureGraph, error) { return buildBruteCurve(m, s, sessionDType) }, s.ORT, t); err != nil {
		e.destroy()
		return nil, err
	}
	e.ntk.read = union(e.ntk.read, e.curve.read)
	if e.params, e.bufs, err = paramTensors(m); err != nil {
		e.destroy()
		return nil, err
	}
	var ntkSize int64
	for _, p := range m.ParamTable() {
		if p.NTK {
			ntkSize += int64(p.Size())
		}
	}
	b, n, nf := int64(s.Batch), int64(s.CurvePoints), int64(e.nf)
	for _, z := range []struct {
		dst   **ort.Tensor
		shape []int64
	}{
		{&e.ntkSeed, []int64{b, nf}},
		{&e.ntkGrads, []int64{ntkSize}},
		{&e.curveSeed, []int64{n, nf}},
		{&e.curveGrad, imageShape(s.CurvePoints, s)},
	} {
		if *z.dst, err = ort.ZerosFloat32(z.shape); err != nil {
			e.destroy()
			return nil, err
		}
	}
	return e, nil
}

func union(a, b map[string]bool) map[string]bool {
	for k := range b {
		a[k] = true
	}
	return a
}

func (e *bruteEval) buffers() [][]float32 { return e.bufs }

func (e *bruteEval) reads() map[string]bool { return e.ntk.read }

func (e *bruteEval) run(r int) (theta []float64, length float64, err error) {
	if theta, err = e.gram(); err != nil {
		return nil, 0, err
	}
	j, err := e.curveJacobian(r)
	if err != nil {
		return nil, 0, err
	}
	return theta, curveLength(j, e.probe.curvePoints), nil
}

// gram runs one backward pass per sample and returns Θ = G·Gᵀ.
func (e *bruteEval) gram() ([]float64, error) {
	in := append([]*ort.Tensor{e.probe.images, e.ntkSeed}, e.params...)
	seed := e.ntkSeed.Float32s()
	grads := make([][]float32, e.batch)
	for b := range grads {
		clear(seed)
		for c := range e.nf {
			seed[b*e.nf+c] = 1
		}
		if err := e.ntk.sess.RunInto(in, []*ort.Tensor{e.ntkGrads}); err != nil {
			return nil, err
		}
		grads[b] = append([]float32(nil), e.ntkGrads.Float32s()...)
	}
	theta := make([]float64, e.batch*e.batch)
	for i := range grads {
		for j := range i + 1 {
			var s float64
			for p, x := range grads[i] {
				s += float64(x) * float64(grads[j][p])
			}
			theta[i*e.batch+j], theta[j*e.batch+i] = s, s
		}
	}
	return theta, nil
}

// curveJacobian runs one backward pass per feature coordinate c and returns
// J (n×nf) with J[k,c] = ⟨∂features[k,c]/∂x_k, dx/dθ at θ_k⟩.
func (e *bruteEval) curveJacobian(r int) ([]float64, error) {
	n, size := e.probe.curvePoints, e.probe.width
	in := append([]*ort.Tensor{e.probe.points[r], e.curveSeed}, e.params...)
	seed, tangents := e.curveSeed.Float32s(), e.probe.tangents[r].Float32s()
	j := make([]float64, n*e.nf)
	for c := range e.nf {
		clear(seed)
		for k := range n {
			seed[k*e.nf+c] = 1
		}
		if err := e.curve.sess.RunInto(in, []*ort.Tensor{e.curveGrad}); err != nil {
			return nil, err
		}
		grad := e.curveGrad.Float32s()
		for k := range n {
			var s float64
			for i := k * size; i < (k+1)*size; i++ {
				s += float64(grad[i]) * float64(tangents[i])
			}
			j[k*e.nf+c] = s
		}
	}
	return j, nil
}

func (e *bruteEval) destroy() {
	e.ntk.sess.Destroy()
	e.curve.sess.Destroy()
	ort.DestroyAll(e.params)
	ort.DestroyAll([]*ort.Tensor{e.ntkSeed, e.ntkGrads, e.curveSeed, e.curveGrad})
}
