package proxies

import (
	"fmt"
	"math"

	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/vit"
)

// results are one run's outputs, aligned with proxyGraph's weights and
// geluInputs.
type results struct {
	lossGrads, flowGrads [][]float32
	geluInputs           [][]float32
}

// feeds lists the graph's inputs with their data, in feed order: images,
// targets, the parameters, then their absolute values abs.
func (pg *proxyGraph) feeds(m vit.Model, weights, abs [][]float32, in Input) ([]*graphgen.Value, [][]float32) {
	vals := []*graphgen.Value{pg.images, pg.targets}
	data := [][]float32{in.Images, oneHot(in.Labels, m.Spec().Classes)}
	vals = append(append(vals, pg.params...), pg.abs...)
	data = append(append(data, weights...), abs...)
	return vals, data
}

// run serialises pg, opens a session with opts, runs it once on the inputs
// and destroys everything it created.
func (pg *proxyGraph) run(m vit.Model, weights, abs [][]float32, in Input, opts ort.Options) (results, error) {
	model, err := pg.g.Model()
	if err != nil {
		return results{}, fmt.Errorf("serialise the proxy graph: %w", err)
	}
	vals, data := pg.feeds(m, weights, abs, in)
	names := make([]string, len(vals))
	tensors := make([]*ort.Tensor, len(vals))
	defer ort.DestroyAll(tensors)
	for i, v := range vals {
		names[i] = v.Name()
		if tensors[i], err = ort.NewFloat32(shape64(v.Shape()), data[i]); err != nil {
			return results{}, fmt.Errorf("input %s: %w", v.Name(), err)
		}
	}
	var outNames []string
	for _, v := range pg.g.Outputs() {
		outNames = append(outNames, v.Name())
	}
	sess, err := ort.NewSession(model, names, outNames, opts)
	if err != nil {
		return results{}, err
	}
	defer sess.Destroy()
	outs, err := sess.Run(tensors)
	if err != nil {
		return results{}, err
	}
	defer ort.DestroyAll(outs)
	flat := make([][]float32, len(outs))
	for i, t := range outs {
		flat[i] = t.Float32s() // Go memory that outlives the tensor
	}
	w := len(pg.weights)
	return results{lossGrads: flat[:w], flowGrads: flat[w : 2*w], geluInputs: flat[2*w:]}, nil
}

func shape64(shape []int) []int64 {
	out := make([]int64, len(shape))
	for i, d := range shape {
		out[i] = int64(d)
	}
	return out
}

// oneHot returns the [len(labels), classes] one-hot rows of labels, which
// must lie in [0, classes).
func oneHot(labels []int64, classes int) []float32 {
	out := make([]float32, len(labels)*classes)
	for i, l := range labels {
		out[i*classes+int(l)] = 1
	}
	return out
}

// absolute returns |w| elementwise for every tensor of ws.
func absolute(ws [][]float32) [][]float32 {
	out := make([][]float32, len(ws))
	for k, w := range ws {
		out[k] = make([]float32, len(w))
		for i, x := range w {
			out[k][i] = float32(math.Abs(float64(x)))
		}
	}
	return out
}
