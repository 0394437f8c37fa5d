package cli

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/asvit/asvit/vit"
)

// TestInspect checks inspect's parameter count against the count of the
// topology's formula, and that its node counts add up.
func TestInspect(t *testing.T) {
	model := exportSeed(t, t.TempDir(), 64, 10, nil)
	var out bytes.Buffer
	if err := runInspect(context.Background(), inspectOptions{File: model}, &out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	// Columns are aligned with spaces; compare words.
	words := strings.Join(strings.Fields(text), " ")
	top, err := vit.Parse(seedArch)
	if err != nil {
		t.Fatal(err)
	}
	m, err := vit.New(vit.NewSpec(top, 64, 10))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"parameters " + groupDigits(m.Params()) + " in ",
		"asvit.arch " + seedArch,
		`input "input" float32 [-1 3 64 64]`,
		`output "logits" float32 [-1 10]`,
	} {
		if !strings.Contains(words, s) {
			t.Errorf("inspect output lacks %q:\n%s", s, text)
		}
	}
	total := regexp.MustCompile(`(?m)^nodes +(\d+)$`).FindStringSubmatch(text)
	if total == nil {
		t.Fatalf("no node count in:\n%s", text)
	}
	var sum int
	for _, c := range regexp.MustCompile(`(?m)^  [A-Z]\w* +(\d+)$`).FindAllStringSubmatch(text, -1) {
		n, _ := strconv.Atoi(c[1])
		sum += n
	}
	if n, _ := strconv.Atoi(total[1]); n == 0 || sum != n {
		t.Errorf("op counts sum to %d, total %s", sum, total[1])
	}
}
