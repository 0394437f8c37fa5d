package search

// Progress hears about a search as it runs. Run calls its methods from the
// goroutine that called Run.
type Progress interface {
	// Start is called once, with the steps already done (non-zero when
	// resuming) and the total.
	Start(done, total int)
	// Step is called after each step has been logged and checkpointed.
	Step(rec StepRecord)
	// Finish is called once the result is written.
	Finish(res Result)
}

// NoProgress ignores everything.
type NoProgress struct{}

// Start does nothing.
func (NoProgress) Start(done, total int) {}

// Step does nothing.
func (NoProgress) Step(StepRecord) {}

// Finish does nothing.
func (NoProgress) Finish(Result) {}
