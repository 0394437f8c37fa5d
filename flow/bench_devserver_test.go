//go:build devserver

package flow

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/asvit/asvit/devserver"
	"github.com/asvit/asvit/search"
	"github.com/asvit/asvit/trainfree"
)

// benchServer starts a server and a client for a benchmark.
func benchServer(b *testing.B) client.Client {
	b.Helper()
	srv, err := devserver.StartOnFreePorts(devserver.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Stop() })
	c, err := client.Dial(client.Options{HostPort: srv.HostPort(), Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return c
}

// searchInput is a search of steps steps of batch topologies.
func searchInput(steps, batch int) SearchInput {
	cfg := search.DefaultConfig()
	cfg.Steps, cfg.BatchSize, cfg.Seed = steps, batch, 1
	return SearchInput{Config: cfg, Version: Version(), Settings: testSettings,
		Timeouts: Timeouts{Heartbeat: 10 * time.Second, StartToClose: time.Minute}}
}

// BenchmarkActivityOverhead: a search of 20 one-topology steps whose
// measure takes no time or 100 ms (a 32-px measure), locally and as a
// workflow with one in-process worker; the metric is the added time per
// activity.
func BenchmarkActivityOverhead(b *testing.B) {
	c := benchServer(b)
	for _, delay := range []time.Duration{0, 100 * time.Millisecond} {
		b.Run(fmt.Sprintf("measure=%v", delay), func(b *testing.B) {
			queue := fmt.Sprintf("overhead-%v", delay)
			w := NewWorker(c, queue, fakeActivities(Version(), delay), 1)
			if err := w.Start(); err != nil {
				b.Fatal(err)
			}
			defer w.Stop()
			in := searchInput(20, 1)
			var local, remote time.Duration
			for i := 0; b.Loop(); i++ {
				t0 := time.Now()
				s, err := search.NewSearcher(in.Config)
				if err != nil {
					b.Fatal(err)
				}
				for !s.Done() {
					if _, err := s.Step(context.Background(), trainfree.Sequential(hashMeasure(delay))); err != nil {
						b.Fatal(err)
					}
				}
				local += time.Since(t0)
				t0 = time.Now()
				var out SearchOutput
				run := Run{ID: fmt.Sprintf("%s-%d", queue, i), TaskQueue: queue, Poll: time.Second}
				if _, err := Follow(context.Background(), c, run, SearchWorkflow, in, func(search.StepRecord) {}, &out); err != nil {
					b.Fatal(err)
				}
				remote += time.Since(t0)
			}
			n := float64(b.N * in.Config.Steps)
			b.ReportMetric((remote-local).Seconds()/n*1e3, "ms-overhead/activity")
			b.ReportMetric(local.Seconds()/n*1e3, "ms-local/activity")
		})
	}
}

// BenchmarkSimulatedWorkers: a search whose every step measures 100
// topologies at once on 100 in-process workers, each measure a sleep of
// 500 ms; the metric is a step's time over the 500 ms a step would take
// with free scheduling.
func BenchmarkSimulatedWorkers(b *testing.B) {
	const workers, sleep, steps = 100, 500 * time.Millisecond, 3
	c := benchServer(b)
	for range workers {
		w := NewWorker(c, "sim", fakeActivities(Version(), sleep), 1)
		if err := w.Start(); err != nil {
			b.Fatal(err)
		}
		defer w.Stop()
	}
	in := searchInput(steps, workers)
	in.Config.NoCache = true // every sample is measured
	var total time.Duration
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		var out SearchOutput
		if _, err := Follow(context.Background(), c, Run{ID: fmt.Sprintf("sim-%d", i), TaskQueue: "sim", Poll: time.Second}, SearchWorkflow, in, func(search.StepRecord) {}, &out); err != nil {
			b.Fatal(err)
		}
		total += time.Since(t0)
	}
	perStep := total.Seconds() / float64(b.N*steps)
	b.ReportMetric(perStep/sleep.Seconds(), "step/ideal")
	b.ReportMetric(float64(workers)/perStep, "activities/s")
}
