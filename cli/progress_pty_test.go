//go:build linux

package cli

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rivo/uniseg"
	"golang.org/x/sys/unix"

	"github.com/asvit/asvit/search"
	"github.com/asvit/asvit/train"
)

// ptyTerm is a pseudo-terminal: the reporter writes to tty, the test reads
// what a terminal would receive from the master side.
type ptyTerm struct {
	master, tty *os.File
	mu          sync.Mutex
	out         bytes.Buffer
	done        chan struct{}
}

// openPTY opens a pseudo-terminal of cols × rows whose output is passed on
// unchanged (no \n → \r\n), so that every \r seen is the reporter's.
func openPTY(t *testing.T, cols, rows int) *ptyTerm {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	mfd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(mfd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	tios, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	tios.Oflag &^= unix.OPOST
	if err := unix.IoctlSetTermios(int(tty.Fd()), unix.TCSETS, tios); err != nil {
		t.Fatal(err)
	}
	p := &ptyTerm{master: master, tty: tty, done: make(chan struct{})}
	p.resize(t, cols, rows)
	go func() {
		defer close(p.done)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		tty.Close()
		master.Close()
		<-p.done
	})
	return p
}

func (p *ptyTerm) resize(t *testing.T, cols, rows int) {
	t.Helper()
	ws := &unix.Winsize{Col: uint16(cols), Row: uint16(rows)}
	if err := unix.IoctlSetWinsize(int(p.master.Fd()), unix.TIOCSWINSZ, ws); err != nil {
		t.Fatal(err)
	}
}

// wait returns the output once it satisfies ok, failing after 5 s.
func (p *ptyTerm) wait(t *testing.T, what string, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		p.mu.Lock()
		s := p.out.String()
		p.mu.Unlock()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s after 5 s; the terminal got %q", what, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// screen is as much of a terminal as the reporter needs: printable
// characters with their display width, \r, \n, cursor up, erase-in-line
// and erase-below; it wraps at cols like a terminal does (and does not
// re-wrap on resize).
type screen struct {
	cols     int
	rows     [][]string // cells; a wide character's second cell is ""
	cont     []bool     // the row continues the one above (it wrapped)
	row, col int
	// lineWrapped: the line the cursor is on (since the last \n) wrapped.
	lineWrapped bool
	// redrawnWrapped counts the carriage returns that went back over a
	// wrapped line: each leaves the start of that line behind.
	redrawnWrapped int
}

func newScreen(cols int) *screen {
	return &screen{cols: cols, rows: [][]string{nil}, cont: []bool{false}}
}

var csi = regexp.MustCompile(`^\x1b\[([0-9;?]*)([@-~])`)

func (s *screen) feed(t *testing.T, out string) {
	t.Helper()
	for out != "" {
		switch out[0] {
		case '\r':
			if s.lineWrapped && s.col > 0 {
				s.redrawnWrapped++
			}
			s.col = 0
			out = out[1:]
			continue
		case '\n':
			s.newRow(false)
			s.lineWrapped = false
			out = out[1:]
			continue
		case 0x1b:
			m := csi.FindStringSubmatch(out)
			switch {
			case m != nil && m[2] == "K" && m[1] == "":
				s.rows[s.row] = s.rows[s.row][:min(s.col, len(s.rows[s.row]))]
			case m != nil && m[2] == "J" && m[1] == "":
				s.rows[s.row] = s.rows[s.row][:min(s.col, len(s.rows[s.row]))]
				s.rows, s.cont = s.rows[:s.row+1], s.cont[:s.row+1]
			case m != nil && m[2] == "A":
				n, err := strconv.Atoi(m[1])
				if err != nil {
					t.Fatalf("cursor up by %q", m[1])
				}
				s.row = max(s.row-n, 0)
			default:
				t.Fatalf("unexpected escape sequence at %q", out[:min(len(out), 10)])
			}
			out = out[len(m[0]):]
			continue
		}
		cluster, rest, w, _ := uniseg.FirstGraphemeClusterInString(out, -1)
		if r, _ := utf8.DecodeRuneInString(cluster); r < ' ' || r == utf8.RuneError {
			t.Fatalf("unexpected byte at %q", out[:min(len(out), 10)])
		}
		out = rest
		if s.col+w > s.cols {
			s.newRow(true)
			s.lineWrapped = true
		}
		for len(s.rows[s.row]) < s.col+w {
			s.rows[s.row] = append(s.rows[s.row], " ")
		}
		s.rows[s.row][s.col] = cluster
		for i := 1; i < w; i++ {
			s.rows[s.row][s.col+i] = ""
		}
		s.col += w
	}
}

func (s *screen) newRow(cont bool) {
	s.row++
	s.col = 0
	if s.row == len(s.rows) {
		s.rows = append(s.rows, nil)
		s.cont = append(s.cont, cont)
	}
}

// lines are the screen's lines, wrapped rows joined again.
func (s *screen) lines() []string {
	var lines []string
	for i, r := range s.rows {
		text := strings.Join(r, "")
		if s.cont[i] {
			lines[len(lines)-1] += text
		} else {
			lines = append(lines, text)
		}
	}
	return lines
}

// statusDraw is a status line drawn: from a \r (and the move up over a
// line the terminal re-wrapped) to an erase-in-line.
var statusDraw = regexp.MustCompile(`\r(?:\x1b\[\d+A\x1b\[J)?([^\r\n\x1b]+)\x1b\[K`)

// statusLines are the status lines drawn in out, in order.
func statusLines(out string) []string {
	var lines []string
	for _, m := range statusDraw.FindAllStringSubmatch(out, -1) {
		lines = append(lines, m[1])
	}
	return lines
}

// checkFits fails unless every status line drawn fits in cols-1 columns
// and the screen never had to redraw a wrapped line.
func checkFits(t *testing.T, out string, cols int) *screen {
	t.Helper()
	sc := newScreen(cols)
	sc.feed(t, out)
	if sc.redrawnWrapped > 0 {
		t.Errorf("%d redraws went back over a wrapped line, leaving half lines behind", sc.redrawnWrapped)
	}
	draws := statusLines(out)
	if len(draws) == 0 {
		t.Fatalf("no status line drawn in %q", out)
	}
	for _, d := range draws {
		if w := uniseg.StringWidth(d); w >= cols {
			t.Errorf("a status line is %d columns wide on a %d-column terminal: %q", w, cols, d)
		}
	}
	return sc
}

// The status line of a search fits an 80-column terminal, keeps the
// percentage, bar, count and ETA, and every 10th step stays above it.
func TestProgressPTYSearch80(t *testing.T) {
	p := openPTY(t, 80, 24)
	r := newStepReporter(p.tty, "search", 30)
	if !r.terminal() {
		t.Fatal("the pty's tty side is not taken for a terminal")
	}
	sp := &searchProgress{r: r}
	sp.Start(0, 30)
	status := func(i int) string {
		return fmt.Sprintf("step %d  entropy 20.31  reward +0.123  κ 123.4  L^E 1.234  5,2,3|4,1,2|4,1,4|4,1,6|32", i)
	}
	for i := 1; i <= 30; i++ {
		sp.Step(search.StepRecord{Step: i, Entropy: 20.31, Reward: 0.123, NTKCond: 123.4, LengthDistortion: 1.234,
			Topology: "5,2,3|4,1,2|4,1,4|4,1,6|32"})
		time.Sleep(5 * time.Millisecond)
	}
	out := p.wait(t, "final status line", func(s string) bool { return strings.Contains(s, "30/30") })
	draws := statusLines(out)
	last := draws[len(draws)-1]
	for _, want := range []string{"100% |" + strings.Repeat("█", 10), "| 30/30  ETA 0s", "step 30  entropy", "…"} {
		if !strings.Contains(last, want) {
			t.Errorf("the last status line %q lacks %q", last, want)
		}
	}
	sc := checkFits(t, out, 80)
	lines := sc.lines()
	if len(lines) != 4 {
		t.Fatalf("want 3 step lines and the status line, the screen holds %q", lines)
	}
	for i, l := range lines[:3] {
		if !regexp.MustCompile(`^\[\d+s\] ` + regexp.QuoteMeta(status(10*(i+1))) + `$`).MatchString(l) {
			t.Errorf("line %d is %q, want step %d's status", i+1, l, 10*(i+1))
		}
	}
	if lines[3] != last {
		t.Errorf("the bottom line is %q, want the last status line %q", lines[3], last)
	}

	r.finish()
	out = p.wait(t, "erased status line", func(s string) bool { return strings.HasSuffix(s, "\r\x1b[K") })
	sc = checkFits(t, out, 80)
	if lines := sc.lines(); len(lines) != 4 || lines[3] != "" {
		t.Errorf("after finish the screen holds %q, want the 3 step lines and an empty line", lines)
	}
}

// Training's epochs go above the bar; the bar shows the caller's ETA.
func TestProgressPTYTrainEpochs(t *testing.T) {
	p := openPTY(t, 80, 24)
	tp := &trainProgress{w: p.tty}
	const steps = 40
	for i := 1; i <= steps; i++ {
		tp.Step(trainStepInfo(i, steps))
		if i%20 == 0 {
			tp.Epoch(trainEpochRecord(i / 20))
		}
	}
	out := p.wait(t, "epoch 2", func(s string) bool { return strings.Contains(s, "epoch 2: phase") })
	sc := checkFits(t, out, 80)
	lines := sc.lines()
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "epoch 1: phase 1") || !strings.HasPrefix(lines[1], "epoch 2: phase 1") {
		t.Fatalf("want 2 epoch lines and the status line, the screen holds %q", lines)
	}
	if last := lines[2]; !strings.Contains(last, "| 40/40  ETA 0s") || !strings.HasPrefix(last, "epoch 2/2  phase 1  loss") {
		t.Errorf("status line %q", last)
	}
	tp.finish()
	p.wait(t, "erased status line", func(s string) bool { return strings.HasSuffix(s, "\r\x1b[K") })
}

// A resize is picked up at the next refresh; an unknown total (scale, a
// study before it starts) shows the count and elapsed time.
func TestProgressPTYResizeAndUnknownTotal(t *testing.T) {
	p := openPTY(t, 120, 24)
	r := newStepReporter(p.tty, "scale", -1)
	defer r.finish()
	r.step(2, "step 3: candidate 4/12 (stage 2 +1 block, width +12%)  "+strings.Repeat("κ", 80))
	p.wait(t, "120-column status line", func(s string) bool {
		d := statusLines(s)
		return len(d) > 0 && uniseg.StringWidth(d[len(d)-1]) == 119
	})
	p.resize(t, 60, 24)
	out := p.wait(t, "redraw for 60 columns", func(s string) bool {
		d := statusLines(s)
		return uniseg.StringWidth(d[len(d)-1]) == 59
	})
	// The 119-column line re-wrapped on two rows where the terminal does:
	// the redraw starts one row up and erases both.
	if !strings.Contains(out, "\r\x1b[1A\x1b[J") {
		t.Errorf("the redraw after narrowing does not go up over the re-wrapped line: %q", out)
	}
	draws := statusLines(out)
	if last := draws[len(draws)-1]; !regexp.MustCompile(`…  2 done  \d+s$`).MatchString(last) {
		t.Errorf("status line %q", last)
	}
	r.setTotal(10)
	out = p.wait(t, "status line with a total", func(s string) bool { return strings.Contains(s, "2/10  ETA") })
	checkFits(t, out[strings.LastIndex(out, "\r"):], 60)
}

func trainStepInfo(step, steps int) train.StepInfo {
	return train.StepInfo{Epoch: 1 + (step-1)*2/steps, Epochs: 2, Step: step, Steps: steps, Phase: 1,
		Loss: 2.3, LR: 1e-3, ImagesPerS: 412, ETA: time.Duration(steps-step) * time.Second}
}

func trainEpochRecord(epoch int) train.EpochRecord {
	return train.EpochRecord{Epoch: epoch, Phase: 1, Stride: 4, Dilation: 1, TrainLoss: 1.5, TrainAcc: 0.5,
		ValAcc: 0.45, TestAcc: 0.44, ImagesPerS: 412}
}
