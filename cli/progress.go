package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// stepReporter shows a long run's progress: a bar with a status line on a
// terminal, one plain line per step otherwise (logs, pipes, tests).
type stepReporter struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	start time.Time
}

// newStepReporter reports to w; total < 0 means the step count is unknown.
func newStepReporter(w io.Writer, what string, total int) *stepReporter {
	r := &stepReporter{w: w, start: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		r.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("steps"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionFullWidth(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return r
}

// step records that done steps are finished, with a status line.
func (r *stepReporter) step(done int, status string) {
	if r.bar != nil {
		r.bar.Describe(status)
		_ = r.bar.Set(done)
		return
	}
	fmt.Fprintf(r.w, "[%s] %s\n", time.Since(r.start).Round(time.Second), status)
}

// resume sets the starting point of a resumed run.
func (r *stepReporter) resume(done int) {
	if r.bar != nil {
		_ = r.bar.Set(done)
	} else if done > 0 {
		fmt.Fprintf(r.w, "resuming after step %d\n", done)
	}
}

func (r *stepReporter) finish() {
	if r.bar != nil {
		_ = r.bar.Finish()
	}
}
