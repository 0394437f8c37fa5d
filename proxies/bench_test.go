package proxies

import (
	"context"
	"testing"
)

// BenchmarkMeasure measures every proxy of the seed topology at 32 px on a
// batch of 16, building the graph and session afresh each time.
func BenchmarkMeasure(b *testing.B) {
	initORT(b)
	m := newModel(b, seedTopology, 32)
	weights := m.Init(1)
	in := randomInput(m, 16, 1)
	for b.Loop() {
		if _, err := Measure(context.Background(), m, weights, in, oneThread); err != nil {
			b.Fatal(err)
		}
	}
}
