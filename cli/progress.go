package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/rivo/uniseg"
	"golang.org/x/term"
)

// stepReporter shows a long run's progress.
//
// On a terminal it keeps one status line at the bottom and redraws it in
// place: the latest status (shortened with an ellipsis to fit), the
// percentage, a bar, the count and the ETA, or the count and the elapsed
// time while the total is unknown. The line is laid out for the terminal's
// width, read again at every redraw, and never reaches the last column, so
// it does not wrap; a resize shows within progressRefresh. Records and
// lines are printed as plain lines above it.
//
// Otherwise (logs, pipes, tests, TERM=dumb) it writes one plain line per
// step.
//
// Its methods are safe to call from one goroutine while the refresh runs.
// finish must be called once the run is over, successful or not, before
// anything else is printed to the terminal.
type stepReporter struct {
	w     io.Writer
	tty   *os.File // the terminal; nil: plain lines
	fd    int      // tty's descriptor, for its size
	start time.Time

	mu       sync.Mutex
	what     string // shown until the first status
	status   string
	done     int
	total    int // < 0: unknown
	base     int // done when the ETA's clock started
	baseAt   time.Time
	eta      time.Duration // the caller's ETA, as of etaAt; < 0: none
	etaAt    time.Time
	drawn    string // the status line on the screen; "" when none
	drawnAt  time.Time
	finished bool
	quit     chan struct{}
	stopped  chan struct{}
}

const (
	// progressRefresh is how often the status line is redrawn when it
	// changed (the ETA, the elapsed time, the terminal's width or a
	// throttled step).
	progressRefresh = 250 * time.Millisecond
	// progressThrottle is the least time between two redraws for steps.
	progressThrottle = 100 * time.Millisecond
)

// newStepReporter reports to w; total < 0 means the step count is unknown
// (setTotal may give it later).
func newStepReporter(w io.Writer, what string, total int) *stepReporter {
	now := time.Now()
	r := &stepReporter{w: w, start: now, what: what, total: total, baseAt: now, eta: -1}
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) || os.Getenv("TERM") == "dumb" {
		return r
	}
	r.tty, r.fd = f, int(f.Fd())
	r.quit, r.stopped = make(chan struct{}), make(chan struct{})
	r.mu.Lock()
	r.drawLocked()
	r.mu.Unlock()
	go r.refresh()
	return r
}

// terminal reports whether r draws a status line (false: plain lines).
func (r *stepReporter) terminal() bool { return r.tty != nil }

// step records that done steps are finished, with a status line.
func (r *stepReporter) step(done int, status string) {
	if r.tty == nil {
		fmt.Fprintf(r.w, "[%s] %s\n", time.Since(r.start).Round(time.Second), status)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return
	}
	r.status, r.done = status, done
	// A throttled step shows at the next refresh.
	if time.Since(r.drawnAt) >= progressThrottle || done == r.total {
		r.drawLocked()
	}
}

// stepETA is step with the caller's own estimate of the time left, which
// the status line shows (counting down) instead of its own.
func (r *stepReporter) stepETA(done int, status string, eta time.Duration) {
	if r.tty != nil {
		r.mu.Lock()
		r.eta, r.etaAt = eta, time.Now()
		r.mu.Unlock()
	}
	r.step(done, status)
}

// record is step for a step worth keeping: on a terminal its status is
// also printed, with the elapsed time, as a plain line above the status
// line. Without a terminal it is step.
func (r *stepReporter) record(done int, status string) {
	if r.tty == nil {
		r.step(done, status)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return
	}
	r.status, r.done = status, done
	r.aboveLocked(fmt.Sprintf("[%s] %s", time.Since(r.start).Round(time.Second), status))
}

// line prints text as a plain line: above the status line on a terminal.
func (r *stepReporter) line(text string) {
	if r.tty == nil {
		fmt.Fprintln(r.w, text)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		fmt.Fprintln(r.w, text)
		return
	}
	r.aboveLocked(text)
}

// resume sets the starting point of a resumed run.
func (r *stepReporter) resume(done int) {
	if r.tty == nil {
		if done > 0 {
			fmt.Fprintf(r.w, "resuming after step %d\n", done)
		}
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done, r.base, r.baseAt = done, done, time.Now()
	if !r.finished {
		r.drawLocked()
	}
}

// setTotal gives the number of steps once it is known (< 0: unknown).
func (r *stepReporter) setTotal(total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total = total
	if r.tty != nil && !r.finished {
		r.drawLocked()
	}
}

// finish stops the refresh and erases the status line. It may be called
// more than once.
func (r *stepReporter) finish() {
	if r.tty == nil {
		return
	}
	r.mu.Lock()
	if r.finished {
		r.mu.Unlock()
		return
	}
	r.finished = true
	if r.drawn != "" {
		io.WriteString(r.w, r.backLocked(r.columns())+"\x1b[K")
		r.drawn = ""
	}
	r.mu.Unlock()
	close(r.quit)
	<-r.stopped
}

// refresh redraws the status line while it changes, until finish.
func (r *stepReporter) refresh() {
	defer close(r.stopped)
	t := time.NewTicker(progressRefresh)
	defer t.Stop()
	for {
		select {
		case <-r.quit:
			return
		case <-t.C:
			r.mu.Lock()
			if !r.finished {
				r.drawLocked()
			}
			r.mu.Unlock()
		}
	}
}

// aboveLocked prints text on its own line in place of the status line and
// draws the status line under it, in one write.
func (r *stepReporter) aboveLocked(text string) {
	cols := r.columns()
	line := r.lineLocked(cols)
	io.WriteString(r.w, r.backLocked(cols)+"\x1b[K"+oneLine(text)+"\n\r"+line+"\x1b[K")
	r.drawn, r.drawnAt = line, time.Now()
}

// drawLocked redraws the status line if it would look different.
func (r *stepReporter) drawLocked() {
	cols := r.columns()
	line := r.lineLocked(cols)
	if line != r.drawn {
		io.WriteString(r.w, r.backLocked(cols)+line+"\x1b[K")
		r.drawn, r.drawnAt = line, time.Now()
	}
}

// backLocked returns the cursor to the start of the status line. When the
// terminal has been narrowed below the line's width since it was drawn, a
// terminal that re-wraps its lines on resize (tmux, VTE, Konsole, kitty,
// iTerm2 and most others) now shows it on several rows: back also goes up
// to the first and erases them all. (A terminal that cuts lines instead,
// like xterm, loses as many rows of output above it, once per narrowing.)
func (r *stepReporter) backLocked(cols int) string {
	if up := (uniseg.StringWidth(r.drawn) - 1) / cols; up > 0 {
		return fmt.Sprintf("\r\x1b[%dA\x1b[J", up)
	}
	return "\r"
}

// columns is the terminal's width, 80 if unknown.
func (r *stepReporter) columns() int {
	if c, _, err := term.GetSize(r.fd); err == nil && c > 0 {
		return c
	}
	return 80
}

// lineLocked is the status line for a terminal cols columns wide.
func (r *stepReporter) lineLocked(cols int) string {
	desc := r.status
	if desc == "" {
		desc = r.what
	}
	now := time.Now()
	eta := time.Duration(-1)
	switch {
	case r.total < 0:
	case r.eta >= 0:
		eta = max(r.eta-now.Sub(r.etaAt), 0)
	case r.done > r.base:
		eta = time.Duration(float64(now.Sub(r.baseAt)) * float64(r.total-r.done) / float64(r.done-r.base))
		eta = max(eta, 0)
	}
	return progressLine(cols, desc, r.done, r.total, eta, now.Sub(r.start))
}

const (
	minBar = 10 // the bar's width is at least this, and at most
	maxBar = 30 // this, when there is room
	// minDesc is the narrowest description worth showing.
	minDesc = 6
)

// progressLine lays out the status line for a terminal cols columns wide:
//
//	DESCRIPTION  PCT% |BAR| DONE/TOTAL  ETA D
//
// or, when total < 0, "DESCRIPTION  DONE done  ELAPSED". It takes at most
// cols-1 columns. The description gives way first (shortened with an
// ellipsis, then dropped), then the bar narrows and goes; the count and
// the ETA stay. eta < 0 means not known yet.
func progressLine(cols int, desc string, done, total int, eta, elapsed time.Duration) string {
	room := cols - 1
	desc = oneLine(desc)
	var stats string
	if total < 0 {
		stats = fmt.Sprintf("%d done  %s", done, elapsed.Round(time.Second))
		if room-len(stats)-2 < minDesc {
			return truncateWidth(stats, room)
		}
		return truncateWidth(desc, room-len(stats)-2) + "  " + stats
	}
	etaText := "?"
	if eta >= 0 {
		etaText = eta.Round(time.Second).String()
	}
	stats = fmt.Sprintf("%d/%d  ETA %s", done, total, etaText)
	pct := 100
	if total > 0 {
		pct = 100 * min(max(done, 0), total) / total
	}
	head := fmt.Sprintf("%3d%% |", pct)
	tail := "| " + stats
	fixed := len(head) + len(tail)
	descRoom := room - fixed - minBar - 2
	if descRoom < minDesc {
		// No description: the bar takes what is left.
		bar := min(maxBar, room-fixed)
		if bar < 3 {
			return truncateWidth(stats, room)
		}
		return head + barText(bar, pct) + tail
	}
	desc = truncateWidth(desc, descRoom)
	bar := min(maxBar, room-fixed-2-uniseg.StringWidth(desc))
	return desc + "  " + head + barText(bar, pct) + tail
}

// barText is a bar width columns wide, filled pct percent.
func barText(width, pct int) string {
	filled := width * pct / 100
	return strings.Repeat("█", filled) + strings.Repeat(" ", width-filled)
}

// truncateWidth shortens s to at most width display columns, ending it with
// an ellipsis when it cuts; it never splits a character (grapheme cluster).
func truncateWidth(s string, width int) string {
	if width <= 0 {
		return ""
	}
	if uniseg.StringWidth(s) <= width {
		return s
	}
	var b strings.Builder
	used, state := 0, -1
	for s != "" {
		var cluster string
		var w int
		cluster, s, w, state = uniseg.FirstGraphemeClusterInString(s, state)
		if used+w > width-1 {
			break
		}
		b.WriteString(cluster)
		used += w
	}
	return strings.TrimRight(b.String(), " ") + "…"
}

// oneLine replaces control characters (newlines, tabs, escapes) with
// spaces, so that a status cannot break or restyle the line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
