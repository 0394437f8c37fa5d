package complexity

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/asvit/asvit/internal/memtest"
)

// churnCycles is how many measured cycles TestMeasureChurnMemory runs after
// its warm-up. The default, 0, runs as many as fit in churnBudget, which is
// what the test suite does; the full check is run by hand (about 50 minutes
// on 2 busy cores):
//
//	go test ./complexity -run ChurnMemory -v -timeout 3h -args -churn.cycles=5000
var churnCycles = flag.Int("churn.cycles", 0,
	"create/run/destroy cycles of TestMeasureChurnMemory after its warm-up (0: as many as fit in 20 s)")

const (
	churnWarmUp    = 40               // cycles before the baseline, at least
	churnBudget    = 20 * time.Second // of measured cycles when -churn.cycles is 0
	churnWindow    = 10               // readings whose least is a level, at least
	churnMaxGrowth = 0.10             // of the baseline level
)

// TestMeasureChurnMemory does what a search does for every new candidate,
// over and over: build the seed's measurement graph (the κ branch's Gram
// and the L^E branch's JVP) at 32 px with the authors' batch and curve
// points, open an ONNX Runtime session on it, draw weights, run it and
// destroy it all (cache size 0). After a warm-up the resident set must not
// grow by more than churnMaxGrowth.
//
// The resident set is read after every cycle. Freed memory that the C
// allocator keeps makes it swing by up to about 10 MiB from one cycle to
// the next (freed blocks are kept for reuse, not returned), so the test
// compares levels, not single readings: the least of the first readings
// after the warm-up with the least of the last ones, a tenth of the
// readings each (churnWindow at least). Memory kept by every cycle raises
// the least reading too; a swing does not. The warm-up is a twentieth of
// the cycles (churnWarmUp at least): the level still rises by a few MiB
// over the first few hundred cycles as the allocator's free lists settle.
//
// The test's goroutine stays on one OS thread. Under glibc's default
// allocator, which tests run with, every thread that calls into C gets an
// arena of its own that keeps its high-water mark, and a goroutine hops
// between the runtime's threads: the arenas fill up one by one, about
// 40 MiB over the first 100 cycles on 2 cores, and then stay flat. That is
// not a leak, but it needs more cycles than the test suite can spend; on
// one thread the cycles allocate from one arena, as they do in the asvit
// binary, which keeps a single arena.
func TestMeasureChurnMemory(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	s := DefaultSettings()
	s.Image, s.Repeat, s.CacheSize = 32, 1, 0
	m := newMeasurer(t, s)
	top := parse(t, seedTopology)
	ctx := context.Background()
	cycle := func(i int) {
		r, err := m.Measure(ctx, top)
		if err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		if r.Timing.Cached || r.Bad {
			t.Fatalf("cycle %d: cached %v, bad %v; want a fresh session and finite measures", i, r.Timing.Cached, r.Bad)
		}
	}
	mib := func(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

	warmUp := max(churnWarmUp, *churnCycles/20)
	start := time.Now()
	for i := range warmUp {
		cycle(i)
	}
	t.Logf("%d warm-up cycles in %.1f s; resident set %s", warmUp, time.Since(start).Seconds(), mib(memtest.ResidentBytes(t)))

	start = time.Now()
	var rss []int64
	more := func() bool {
		if *churnCycles > 0 {
			return len(rss) < *churnCycles
		}
		return time.Since(start) < churnBudget || len(rss) < 2*churnWindow
	}
	next := time.Minute // progress of a long run
	for more() {
		cycle(warmUp + len(rss))
		rss = append(rss, memtest.ResidentBytes(t))
		if el := time.Since(start); el >= next {
			t.Logf("%d cycles in %.0f s; resident set %s, least of the last 100 readings %s", len(rss), el.Seconds(),
				mib(rss[len(rss)-1]), mib(slices.Min(rss[max(0, len(rss)-100):])))
			next += time.Minute
		}
	}
	elapsed := time.Since(start)
	w := min(max(churnWindow, len(rss)/10), len(rss))
	before, after := slices.Min(rss[:w]), slices.Min(rss[len(rss)-w:])
	growth := float64(after-before) / float64(before)
	t.Logf("%d cycles in %.1f s (%.0f ms each); resident set from %s to %s (least of %d readings; %+.1f%%); "+
		"readings %s to %s, trend %+.2f KiB a cycle",
		len(rss), elapsed.Seconds(), 1e3*elapsed.Seconds()/float64(len(rss)), mib(before), mib(after), w, 100*growth,
		mib(slices.Min(rss)), mib(slices.Max(rss)), slope(rss)/1024)
	if growth > churnMaxGrowth {
		t.Errorf("the resident set grew from %s to %s (%.1f%%) over %d create/run/destroy cycles; at most %.0f%% is allowed",
			mib(before), mib(after), 100*growth, len(rss), 100*churnMaxGrowth)
	}
}

// slope is the least-squares slope of ys against their indices.
func slope(ys []int64) float64 {
	n := float64(len(ys))
	if n < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for i, y := range ys {
		x := float64(i)
		sx, sy, sxx, sxy = sx+x, sy+float64(y), sxx+x*x, sxy+x*float64(y)
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}
