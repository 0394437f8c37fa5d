package complexity

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/asvit/asvit/ort"
)

// fakeEval counts destroy calls.
type fakeEval struct{ destroyed int }

func (f *fakeEval) buffers() [][]float32                { return nil }
func (f *fakeEval) reads() map[string]bool              { return nil }
func (f *fakeEval) run(int) ([]float64, float64, error) { return nil, 0, nil }
func (f *fakeEval) destroy()                            { f.destroyed++ }

func TestLRU(t *testing.T) {
	c := newLRU(2)
	a, b, d := &fakeEval{}, &fakeEval{}, &fakeEval{}
	c.release(c.put("a", a))
	c.release(c.put("b", b))
	if e := c.get("a"); e == nil || e.eval != a {
		t.Fatal("a not cached")
	}
	c.release(c.put("d", d)) // evicts b, the least recently used
	if !slices.Equal(c.keys(), []string{"a", "d"}) || b.destroyed != 1 || a.destroyed+d.destroyed != 0 {
		t.Errorf("keys %v, destroyed a %d b %d d %d", c.keys(), a.destroyed, b.destroyed, d.destroyed)
	}
	if c.get("b") != nil {
		t.Error("evicted entry returned")
	}
	c.clear()
	if len(c.keys()) != 0 || a.destroyed != 1 || d.destroyed != 1 || b.destroyed != 1 {
		t.Errorf("after clear: keys %v, destroyed %d %d %d", c.keys(), a.destroyed, b.destroyed, d.destroyed)
	}
}

func TestLRUOfSizeZeroKeepsNothing(t *testing.T) {
	c := newLRU(0)
	a := &fakeEval{}
	e := c.put("a", a)
	if a.destroyed != 0 {
		t.Fatal("destroyed before use")
	}
	c.release(e)
	if a.destroyed != 1 || c.get("a") != nil {
		t.Errorf("destroyed %d times, cached %v", a.destroyed, c.keys())
	}
}

func TestMeasurerCache(t *testing.T) {
	s := smallSettings()
	s.Repeat, s.CacheSize = 1, 2
	m := newMeasurer(t, s)
	tops := smallTopologies(3, 31)
	for _, i := range []int{0, 1, 0, 2, 1} {
		measure(t, m, tops[i])
	}
	want := []string{tops[2].ScaledString(), tops[1].ScaledString()}
	if got := m.cache.keys(); !slices.Equal(got, want) {
		t.Errorf("cached %v, want %v", got, want)
	}
	if r := measure(t, m, tops[0]); r.Timing.Cached || r.Timing.Session == 0 {
		t.Errorf("evicted topology reported cached %v, session time %v", r.Timing.Cached, r.Timing.Session)
	}
	s.CacheSize = 0
	none := newMeasurer(t, s)
	for range 2 {
		if measure(t, none, tops[0]).Timing.Cached {
			t.Error("cache size 0 reused a session")
		}
	}
}

// An evicted topology's session and tensors are destroyed, and so is
// everything at Close.
func TestEvictionDestroysSessions(t *testing.T) {
	s := smallSettings()
	s.Repeat, s.CacheSize = 1, 1
	for _, method := range []Method{Fast, BruteForce} {
		s.Method = method
		m := newMeasurer(t, s)
		tops := smallTopologies(2, 43)
		measure(t, m, tops[0])
		first := m.cache.entries[0].eval
		measure(t, m, tops[1])
		second := m.cache.entries[0].eval
		m.Close()
		for i, ev := range []evaluator{first, second} {
			sessions, tensors := resources(ev)
			for _, sess := range sessions {
				if err := sess.RunInto(nil, nil); err == nil || !strings.Contains(err.Error(), "destroyed") {
					t.Errorf("%v: evaluator %d: session still open after eviction or Close (%v)", method, i, err)
				}
			}
			for _, x := range tensors {
				if x.String() != "destroyed tensor" {
					t.Errorf("%v: evaluator %d: tensor %v survives eviction or Close", method, i, x)
				}
			}
		}
		if m.probe.images.String() != "destroyed tensor" {
			t.Errorf("%v: probe tensors survive Close", method)
		}
	}
}

// resources lists an evaluator's sessions and tensors.
func resources(ev evaluator) ([]*ort.Session, []*ort.Tensor) {
	switch e := ev.(type) {
	case *fastEval:
		return []*ort.Session{e.sess}, append([]*ort.Tensor{e.gram, e.jvp}, e.params...)
	case *bruteEval:
		return []*ort.Session{e.ntk.sess, e.curve.sess},
			append([]*ort.Tensor{e.ntkSeed, e.ntkGrads, e.curveSeed, e.curveGrad}, e.params...)
	}
	panic(fmt.Sprintf("unknown evaluator %T", ev))
}
