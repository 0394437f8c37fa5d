package complexity

import "slices"

// evaluator computes the measures of one topology: a built graph loaded
// into a session, with parameter tensors that every run reads.
type evaluator interface {
	// buffers returns the parameters' storage, aligned with ParamTable; the
	// next run reads whatever is written there.
	buffers() [][]float32
	// reads names the parameters the measures read.
	reads() map[string]bool
	// run computes, with curve basis r, Θ (B×B, row-major) and L^E.
	run(r int) (theta []float64, length float64, err error)
	destroy()
}

// entry is an evaluator with its cache key.
type entry struct {
	key  string
	eval evaluator
}

// lru keeps at most size evaluators, destroying the least recently used
// beyond that. It is not safe for concurrent use; Measurer locks around it.
type lru struct {
	size    int
	entries []*entry // least recently used first
}

func newLRU(size int) *lru { return &lru{size: size} }

// get returns the entry of key, now the most recently used, or nil.
func (c *lru) get(key string) *entry {
	i := slices.IndexFunc(c.entries, func(e *entry) bool { return e.key == key })
	if i < 0 {
		return nil
	}
	e := c.entries[i]
	c.entries = append(slices.Delete(c.entries, i, i+1), e)
	return e
}

// put adds ev under key as the most recently used entry, destroying the
// least recently used ones beyond the size. With size 0 nothing is kept, and
// release destroys the entry after use.
func (c *lru) put(key string, ev evaluator) *entry {
	e := &entry{key: key, eval: ev}
	if c.size == 0 {
		return e
	}
	c.entries = append(c.entries, e)
	for len(c.entries) > c.size {
		c.entries[0].eval.destroy()
		c.entries = slices.Delete(c.entries, 0, 1)
	}
	return e
}

// release ends a use of e, destroying it when the cache does not hold it.
func (c *lru) release(e *entry) {
	if !slices.Contains(c.entries, e) {
		e.eval.destroy()
	}
}

// clear destroys every entry.
func (c *lru) clear() {
	for _, e := range c.entries {
		e.eval.destroy()
	}
	c.entries = nil
}

// keys lists the cached keys, least recently used first.
func (c *lru) keys() []string {
	out := make([]string, len(c.entries))
	for i, e := range c.entries {
		out[i] = e.key
	}
	return out
}
