package complexity

import (
	"fmt"
	"time"

	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/vit"
)

// probeTensors are the Probe as runtime tensors, made once per Measurer and
// fed to every session: the κ batch and each repeat's curve points and
// tangents.
type probeTensors struct {
	images             *ort.Tensor
	points, tangents   []*ort.Tensor
	curvePoints, width int // n, and N = C·R·R
}

func newProbeTensors(s Settings, p *Probe) (*probeTensors, error) {
	n, size := s.CurvePoints, s.inputSize()
	pt := &probeTensors{curvePoints: n, width: size}
	var err error
	pt.images, err = ort.NewFloat32(imageShape(s.Batch, s), p.Images)
	if err != nil {
		return nil, err
	}
	for _, b := range p.Bases[:s.Repeat] {
		x, t := curve(b, n, s.Radius.of(size))
		xt, err := ort.NewFloat32(imageShape(n, s), x)
		if err != nil {
			pt.destroy()
			return nil, err
		}
		tt, err := ort.NewFloat32(imageShape(n, s), t)
		if err != nil {
			xt.Destroy()
			pt.destroy()
			return nil, err
		}
		pt.points, pt.tangents = append(pt.points, xt), append(pt.tangents, tt)
	}
	return pt, nil
}

func imageShape(rows int, s Settings) []int64 {
	return []int64{int64(rows), int64(s.Channels), int64(s.Image), int64(s.Image)}
}

func (pt *probeTensors) destroy() {
	pt.images.Destroy()
	ort.DestroyAll(pt.points)
	ort.DestroyAll(pt.tangents)
}

// compiled is a measureGraph loaded into a session.
type compiled struct {
	sess *ort.Session
	read map[string]bool // names of the parameters the graph reads
}

// compile builds a graph with build, serialises it and opens a session on
// it, adding the time spent to t.
func compile(build func() (*measureGraph, error), opts ort.Options, t *Timing) (compiled, error) {
	start := time.Now()
	mg, err := build()
	if err != nil {
		return compiled{}, fmt.Errorf("build graph: %w", err)
	}
	model, err := mg.g.Model()
	if err != nil {
		return compiled{}, fmt.Errorf("serialise graph: %w", err)
	}
	mid := time.Now()
	t.Build += mid.Sub(start)
	sess, err := ort.NewSession(model, mg.inputNames(), mg.outputNames(), opts)
	t.Session += time.Since(mid)
	if err != nil {
		return compiled{}, err
	}
	return compiled{sess: sess, read: mg.reads()}, nil
}

// paramTensors returns zero tensors shaped as m's ParamTable, and their
// storage, which InitInto and Weights fill in place.
func paramTensors(m vit.Model) ([]*ort.Tensor, [][]float32, error) {
	table := m.ParamTable()
	ts, bufs := make([]*ort.Tensor, len(table)), make([][]float32, len(table))
	for k, p := range table {
		shape := make([]int64, len(p.Shape))
		for i, d := range p.Shape {
			shape[i] = int64(d)
		}
		t, err := ort.ZerosFloat32(shape)
		if err != nil {
			ort.DestroyAll(ts)
			return nil, nil, fmt.Errorf("parameter %s: %w", p.Name, err)
		}
		ts[k], bufs[k] = t, t.Float32s()
	}
	return ts, bufs, nil
}

// toFloat64 widens xs.
func toFloat64(xs []float32) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

// sessionDType is the element type of every session; float64 builds are for
// the reference interpreter in tests.
const sessionDType = graphgen.Float32
