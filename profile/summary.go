package profile

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
)

// RunEvent names the session event that spans one run.
const RunEvent = "model_run"

// Stat is the time of one op type, node or session event.
type Stat struct {
	Name     string  `json:"name"`               // op type, node name or session event name
	Op       string  `json:"op,omitempty"`       // a node's op type
	Provider string  `json:"provider,omitempty"` // a node's execution provider
	Calls    int     `json:"calls"`
	TotalUS  float64 `json:"total_us"`
	MeanUS   float64 `json:"mean_us"`
	// Share is TotalUS over the summary's KernelUS, in [0, 1]; the shares
	// of Ops (and of Nodes) add up to 1. Session events have none.
	Share float64 `json:"share,omitempty"`
}

// Summary is where a profile's time went.
type Summary struct {
	Kernels  int     `json:"kernels"`   // kernel events
	KernelUS float64 `json:"kernel_us"` // their total time
	Runs     int     `json:"runs"`      // model_run events
	RunUS    float64 `json:"run_us"`    // their total time
	// Ops and Nodes add the kernel times up by op type and by node, most
	// time first (ties by name).
	Ops   []Stat `json:"ops"`
	Nodes []Stat `json:"nodes"`
	// Session adds the Session events up by name, most time first.
	Session []Stat `json:"session"`
}

// summer adds events up.
type summer struct {
	s                    Summary
	ops, nodes, sessions map[string]*Stat
}

func newSummer() *summer {
	return &summer{ops: map[string]*Stat{}, nodes: map[string]*Stat{}, sessions: map[string]*Stat{}}
}

func (m *summer) add(e Event) error {
	switch {
	case e.Kernel():
		m.s.Kernels++
		m.s.KernelUS += e.Dur
		addTo(m.ops, e.Op, e.Dur, nil)
		// A node keeps its first op and provider; one graph names a node
		// once, and profiles of one model agree.
		addTo(m.nodes, e.Node(), e.Dur, func(st *Stat) { st.Op, st.Provider = e.Op, e.Provider })
	case e.Category == CategorySession:
		if e.Name == RunEvent {
			m.s.Runs++
			m.s.RunUS += e.Dur
		}
		addTo(m.sessions, e.Name, e.Dur, nil)
	}
	return nil
}

func addTo(stats map[string]*Stat, name string, dur float64, init func(*Stat)) {
	st := stats[name]
	if st == nil {
		st = &Stat{Name: name}
		if init != nil {
			init(st)
		}
		stats[name] = st
	}
	st.Calls++
	st.TotalUS += dur
}

func (m *summer) summary() Summary {
	s := m.s
	s.Ops = sorted(m.ops, s.KernelUS)
	s.Nodes = sorted(m.nodes, s.KernelUS)
	s.Session = sorted(m.sessions, 0)
	return s
}

// sorted returns the stats with their means and shares of total (none when
// total is 0), most time first.
func sorted(stats map[string]*Stat, total float64) []Stat {
	out := make([]Stat, 0, len(stats))
	for _, st := range stats {
		s := *st
		s.MeanUS = s.TotalUS / float64(s.Calls)
		if total > 0 {
			s.Share = s.TotalUS / total
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Stat) int {
		if c := cmp.Compare(b.TotalUS, a.TotalUS); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out
}

// Summarize adds events up.
func Summarize(events []Event) Summary {
	m := newSummer()
	for _, e := range events {
		_ = m.add(e)
	}
	return m.summary()
}

// SummarizeFiles reads the profiles at paths one after the other and adds
// all their events up, as the profiles of several sessions of one model.
func SummarizeFiles(paths ...string) (Summary, error) {
	m := newSummer()
	for _, p := range paths {
		if err := decodeFile(p, m.add); err != nil {
			return Summary{}, err
		}
	}
	return m.summary(), nil
}

// OpsTable writes s.Ops as a Markdown table: op type, calls, total and
// per-run milliseconds, share of the kernel time and mean microseconds per
// call. With top > 0 only the top ops get a row of their own and one row
// adds the others up, so the shares still add up to 100%.
func (s Summary) OpsTable(w io.Writer, top int) error {
	return s.table(w, "op", s.Ops, top, false)
}

// NodesTable writes s.Nodes as OpsTable writes the ops, with each node's
// op type.
func (s Summary) NodesTable(w io.Writer, top int) error {
	return s.table(w, "node", s.Nodes, top, true)
}

func (s Summary) table(w io.Writer, what string, stats []Stat, top int, withOp bool) error {
	var b strings.Builder
	head, rule := "| "+what+" |", "|---|"
	if withOp {
		head, rule = head+" op |", rule+"---|"
	}
	b.WriteString(head + " calls | total (ms) | per run (ms) | share | mean (µs) |\n")
	b.WriteString(rule + "---:|---:|---:|---:|---:|\n")
	shown := stats
	if top > 0 && len(stats) > top+1 {
		shown = stats[:top]
	}
	row := func(name, op string, st Stat) {
		fmt.Fprintf(&b, "| %s |", name)
		if withOp {
			fmt.Fprintf(&b, " %s |", op)
		}
		fmt.Fprintf(&b, " %d | %.3f | %s | %.1f%% | %.1f |\n", st.Calls, st.TotalUS/1e3, s.perRun(st.TotalUS), 100*st.Share, st.MeanUS)
	}
	for _, st := range shown {
		row(cell(st.Name), cell(st.Op), st)
	}
	if rest := stats[len(shown):]; len(rest) > 0 {
		var o Stat
		for _, st := range rest {
			o.Calls += st.Calls
			o.TotalUS += st.TotalUS
			o.Share += st.Share
		}
		o.MeanUS = o.TotalUS / float64(o.Calls)
		row(fmt.Sprintf("(%d others)", len(rest)), "", o)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// perRun formats a total in milliseconds per run, "–" without runs.
func (s Summary) perRun(us float64) string {
	if s.Runs == 0 {
		return "–"
	}
	return fmt.Sprintf("%.3f", us/1e3/float64(s.Runs))
}

// cell makes text safe for a Markdown table cell: one line, pipes
// escaped, and something in place of nothing.
func cell(text string) string {
	text = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, text)
	text = strings.TrimSpace(strings.ReplaceAll(text, "|", `\|`))
	if text == "" {
		return "(unnamed)"
	}
	return text
}

// SkipRuns returns events without the first n runs (by start time): their
// model_run events and every event that starts within one of them (its
// kernel times and the executor's span), as for leaving warm-up runs out
// of a summary. Events outside every run, such as the session's
// initialisation, stay. The events must be those of one profile: the
// clocks of two sessions' profiles start apart.
func SkipRuns(events []Event, n int) []Event {
	if n <= 0 {
		return events
	}
	var runs []Event
	for _, e := range events {
		if e.Category == CategorySession && e.Name == RunEvent {
			runs = append(runs, e)
		}
	}
	slices.SortStableFunc(runs, func(a, b Event) int { return cmp.Compare(a.Start, b.Start) })
	runs = runs[:min(n, len(runs))]
	inSkipped := func(e Event) bool {
		for _, r := range runs {
			if e.Start >= r.Start && e.Start <= r.Start+r.Dur {
				return true
			}
		}
		return false
	}
	out := make([]Event, 0, len(events))
	for _, e := range events {
		if !inSkipped(e) {
			out = append(out, e)
		}
	}
	return out
}
