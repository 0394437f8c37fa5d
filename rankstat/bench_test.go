package rankstat

import (
	"fmt"
	"testing"
)

// BenchmarkKendallTauB times τ-b of 50 pairs with ties, the size of one
// proxy-against-accuracy comparison, and of 2000 pairs.
func BenchmarkKendallTauB(b *testing.B) {
	for _, n := range []int{50, 2000} {
		x, y := correlatedSample(n, 0.5, 0.1, 1)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := KendallTauB(x, y); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSpearman times ρ of 50 pairs with ties.
func BenchmarkSpearman(b *testing.B) {
	x, y := correlatedSample(50, 0.5, 0.1, 1)
	for b.Loop() {
		if _, err := Spearman(x, y); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBootstrap times a 95% interval for τ-b from 1000 resamples of 50
// pairs.
func BenchmarkBootstrap(b *testing.B) {
	x, y := correlatedSample(50, 0.5, 0.1, 1)
	for b.Loop() {
		if _, err := Bootstrap(x, y, KendallTauB, 1000, 0.95, 1); err != nil {
			b.Fatal(err)
		}
	}
}
