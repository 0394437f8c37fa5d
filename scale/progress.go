package scale

// Progress hears about a scaling run as it goes. Run calls its methods from
// the goroutine that called Run.
type Progress interface {
	// Start is called once, with the steps already done (non-zero when
	// resuming). The number of steps is not known in advance.
	Start(done int)
	// Candidate is called after candidate i of n of the coming step has
	// been measured or dropped.
	Candidate(step, i, n int, c Candidate)
	// Step is called after each step has been logged and checkpointed.
	Step(rec StepRecord)
	// Finish is called once the result is written.
	Finish(res Result)
}

// NoProgress ignores everything.
type NoProgress struct{}

// Start does nothing.
func (NoProgress) Start(int) {}

// Candidate does nothing.
func (NoProgress) Candidate(int, int, int, Candidate) {}

// Step does nothing.
func (NoProgress) Step(StepRecord) {}

// Finish does nothing.
func (NoProgress) Finish(Result) {}
