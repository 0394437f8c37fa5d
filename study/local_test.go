package study

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// tinyConfig is a real study on the embedded sample: 3 topologies, one
// short epoch each.
func tinyConfig(out string) Config {
	c := DefaultConfig()
	c.N, c.Out, c.Epochs, c.Batch, c.TrainImages = 3, out, 1, 32, 192
	c.ProbeBatch, c.CurvePoints, c.Repeat, c.Bootstrap = 4, 4, 1, 100
	c.ORT.Threads = 1
	return c
}

// interrupting cancels the study while its second training runs.
type interrupting struct {
	*Local
	cancel context.CancelFunc
	calls  int
}

func (e *interrupting) Train(ctx context.Context, c Candidate, seed uint64, dir string, threads int) (Trained, error) {
	if e.calls++; e.calls == 2 {
		time.AfterFunc(300*time.Millisecond, e.cancel)
	}
	return e.Local.Train(ctx, c, seed, dir, threads)
}

// TestLocalStudyResumes runs a tiny real study straight through and once
// interrupted inside a training and resumed: the measures and accuracies
// of every topology must agree exactly (only timings may differ).
func TestLocalStudyResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 6 small networks")
	}
	base := t.TempDir()
	straight := tinyConfig(filepath.Join(base, "straight"))
	local, err := NewLocal(straight)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	if _, err := Run(context.Background(), straight, local, nil); err != nil {
		t.Fatal(err)
	}
	stopped := tinyConfig(filepath.Join(base, "stopped"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := Run(ctx, stopped, &interrupting{Local: local, cancel: cancel}, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted study: err %v, want cancelled", err)
	}
	stopped.Resume = true
	if _, err := Run(context.Background(), stopped, local, nil); err != nil {
		t.Fatal(err)
	}
	_, want, err := ReadRows(straight.Out)
	if err != nil {
		t.Fatal(err)
	}
	_, got, err := ReadRows(stopped.Out)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		w, g := untimed(want[i]), untimed(got[i])
		if w.Arch != g.Arch || w.Measures != g.Measures || len(w.Trainings) != 1 || len(g.Trainings) != 1 || w.Trainings[0] != g.Trainings[0] {
			t.Errorf("topology %d: resumed %+v, straight %+v", i, g, w)
		}
		if acc := float64(g.Trainings[0].ValAcc); !(acc > 0.2) {
			t.Errorf("topology %d: validation accuracy %v after an epoch; want above chance (0.1)", i, acc)
		}
	}
}

// untimed is r without its wall times.
func untimed(r Row) Row {
	r.ComplexitySeconds, r.ProxySeconds = 0, 0
	r.Trainings = append([]Trained(nil), r.Trainings...)
	for i := range r.Trainings {
		r.Trainings[i].Seconds, r.Trainings[i].ImagesPerS = 0, 0
	}
	return r
}
