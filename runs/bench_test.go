package runs

import (
	"path/filepath"
	"testing"
)

// BenchmarkAppendSave times one step's files: a log record appended and
// fsynced, then a 40 kB checkpoint written atomically.
func BenchmarkAppendSave(b *testing.B) {
	d, err := Open(filepath.Join(b.TempDir(), "run"), testKind, testConfig{}, false)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	state := make([]float64, 2000)
	for i := range state {
		state[i] = float64(i) / 7
	}
	for b.Loop() {
		if err := d.Append(testRecord{Step: 1, Value: 0.25}); err != nil {
			b.Fatal(err)
		}
		if err := d.Save(state); err != nil {
			b.Fatal(err)
		}
	}
}
