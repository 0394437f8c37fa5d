package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rivo/uniseg"
)

// searchStatus is a status as long as a real search step's.
const searchStatus = "step 12  entropy 20.31  reward +0.123  κ 123.4  L^E 1.234  5,2,3|4,1,2|4,1,4|4,1,6|32"

func TestProgressLineFits(t *testing.T) {
	descs := []string{"", "search", searchStatus, strings.Repeat("κ", 300), "日本語の説明 " + searchStatus, "tab\there\nnewline\x1b[31m"}
	for cols := 1; cols <= 200; cols++ {
		for _, desc := range descs {
			for _, c := range []struct {
				done, total int
				eta         time.Duration
			}{{0, 500, -1}, {12, 500, 17*time.Minute + 8*time.Second}, {500, 500, 0}, {3, -1, 0}, {123456, 1000000, 100 * time.Hour}, {0, 0, -1}} {
				line := progressLine(cols, desc, c.done, c.total, c.eta, 83*time.Second)
				if w := uniseg.StringWidth(line); w > max(cols-1, 0) {
					t.Fatalf("cols %d, desc %q, %+v: %q is %d columns wide", cols, desc, c, line, w)
				}
				if strings.ContainsFunc(line, func(r rune) bool { return r < ' ' }) {
					t.Fatalf("cols %d: %q holds a control character", cols, line)
				}
				if cols < 60 {
					continue
				}
				// From 60 columns on, the count, the ETA and the bar are all there.
				var want []string
				if c.total < 0 {
					want = []string{"3 done", "1m23s"}
				} else {
					want = []string{"%", "|", "ETA"}
				}
				for _, s := range want {
					if !strings.Contains(line, s) {
						t.Fatalf("cols %d, desc %q, %+v: %q lacks %q", cols, desc, c, line, s)
					}
				}
			}
		}
	}
}

func TestProgressLineLayout(t *testing.T) {
	for _, c := range []struct {
		cols        int
		desc        string
		done, total int
		eta         time.Duration
		want        string
	}{
		{80, searchStatus, 12, 500, 17*time.Minute + 8*time.Second,
			"step 12  entropy 20.31  reward +0.123  κ…    2% |           | 12/500  ETA 17m8s"},
		{120, searchStatus, 250, 500, -1,
			"step 12  entropy 20.31  reward +0.123  κ 123.4  L^E 1.234  5,2,3|4,1,2|4,1,4|4,1,6|32   50% |█████     | 250/500  ETA ?"},
		{80, "search", 0, 500, -1, "search    0% |                              | 0/500  ETA ?"},
		{30, searchStatus, 500, 500, 0, "100% |██████| 500/500  ETA 0s"},
		{20, searchStatus, 500, 500, 0, "500/500  ETA 0s"},
		{12, searchStatus, 500, 500, 0, "500/500  E…"},
		{40, searchStatus, 3, -1, 0, "step 12  entropy 20.31…  3 done  1m23s"},
		{10, searchStatus, 3, -1, 0, "3 done…"},
	} {
		got := progressLine(c.cols, c.desc, c.done, c.total, c.eta, 83*time.Second)
		if got != c.want {
			t.Errorf("progressLine(%d, %q, %d, %d, %v)\n got %q\nwant %q", c.cols, c.desc, c.done, c.total, c.eta, got, c.want)
		}
	}
}

func TestProgressTruncateWidth(t *testing.T) {
	for _, c := range []struct {
		s     string
		width int
		want  string
	}{
		{"κ 123.4", 7, "κ 123.4"},
		{"κ 123.4", 6, "κ 123…"},
		{"κκκκ", 3, "κκ…"},
		{"ab  cd", 4, "ab…"}, // no space before the ellipsis
		{"日本語", 5, "日本…"},
		{"日本語", 4, "日…"}, // a wide character is never split
		{"e\u0301e\u0301e\u0301", 2, "e\u0301…"},
		{"abc", 1, "…"},
		{"abc", 0, ""},
	} {
		got := truncateWidth(c.s, c.width)
		if got != c.want || uniseg.StringWidth(got) > c.width {
			t.Errorf("truncateWidth(%q, %d) = %q, want %q", c.s, c.width, got, c.want)
		}
	}
}

// Without a terminal the reporter writes plain lines, as it always has.
func TestProgressPlainLines(t *testing.T) {
	var b bytes.Buffer
	r := newStepReporter(&b, "search", 30)
	if r.terminal() {
		t.Fatal("a buffer is not a terminal")
	}
	r.resume(0)
	r.resume(3)
	r.step(4, "step 4  κ 1.5")
	r.record(5, "step 5  κ 1.6")
	r.stepETA(6, "epoch 1/2", time.Minute)
	r.setTotal(40)
	r.line("epoch 1: done")
	r.finish()
	r.finish()
	want := "resuming after step 3\n[0s] step 4  κ 1.5\n[0s] step 5  κ 1.6\n[0s] epoch 1/2\nepoch 1: done\n"
	if b.String() != want {
		t.Errorf("got %q\nwant %q", b.String(), want)
	}
}
