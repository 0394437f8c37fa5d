package graphgen_test

import (
	"fmt"
	"testing"

	"github.com/asvit/asvit/graphgen"
)

// Graph-transform time: appending the reverse sweep, the forward sweep or
// the per-sample Gram to a freshly built block (the block itself untimed).

func BenchmarkVJPBuildBatch4(b *testing.B)  { benchTransform(b, 4, vjpAll) }
func BenchmarkVJPBuildBatch16(b *testing.B) { benchTransform(b, 16, vjpAll) }
func BenchmarkJVPBuildBatch16(b *testing.B) { benchTransform(b, 16, jvpInput) }
func BenchmarkGramBuildBatch16(b *testing.B) {
	benchTransform(b, 16, func(bl *block) error { _, err := graphgen.PerSampleGram(bl.y, bl.params); return err })
}

func vjpAll(bl *block) error {
	_, err := graphgen.VJP([]*graphgen.Value{bl.y}, nil, bl.params)
	return err
}

func jvpInput(bl *block) error {
	_, err := graphgen.JVP([]*graphgen.Value{bl.x}, []*graphgen.Value{bl.x}, []*graphgen.Value{bl.features})
	return err
}

func benchTransform(b *testing.B, batch int, transform func(*block) error) {
	for b.Loop() {
		b.StopTimer()
		bl := newBlock(graphgen.Float32, blockBench, batch, 1)
		b.StartTimer()
		if err := transform(bl); err != nil {
			b.Fatal(err)
		}
	}
}

// Run time in ONNX Runtime (float32, one thread) of the bench block: the
// forward pass alone, forward plus the gradients of Σ y for all
// parameters, forward plus the per-sample Gram, and forward plus the JVP
// with respect to the input.

func BenchmarkORTForwardBatch8(b *testing.B) { benchORT(b, 8, nil) }
func BenchmarkORTForwardBackwardBatch8(b *testing.B) {
	benchORT(b, 8, func(bl *block) ([]*graphgen.Value, error) {
		return graphgen.VJP([]*graphgen.Value{bl.y}, nil, bl.params)
	})
}
func BenchmarkORTForwardGramBatch8(b *testing.B) {
	benchORT(b, 8, func(bl *block) ([]*graphgen.Value, error) {
		gram, err := graphgen.PerSampleGram(bl.y, bl.params)
		return []*graphgen.Value{gram}, err
	})
}
func BenchmarkORTForwardJVPBatch8(b *testing.B) {
	benchORT(b, 8, func(bl *block) ([]*graphgen.Value, error) {
		return graphgen.JVP([]*graphgen.Value{bl.x}, []*graphgen.Value{bl.x}, []*graphgen.Value{bl.features})
	})
}

func benchORT(b *testing.B, batch int, extra func(*block) ([]*graphgen.Value, error)) {
	bl := newBlock(graphgen.Float32, blockBench, batch, 1)
	outs := []*graphgen.Value{bl.features}
	if extra != nil {
		more, err := extra(bl)
		if err != nil {
			b.Fatal(err)
		}
		outs = append(outs, more...)
	}
	for i, v := range outs {
		bl.g.Output(fmt.Sprintf("out%d", i), v)
	}
	s := newORTSession(b, bl.g, bl.feeds)
	defer s.destroy()
	s.run(b)
	for b.Loop() {
		s.run(b)
	}
}
