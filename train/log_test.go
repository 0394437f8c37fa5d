package train

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRewindLog keeps the records a checkpoint covers and drops a last
// line cut short by a crash.
func TestRewindLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), LogFile)
	lines := []string{
		`{"kind":"step","epoch":1,"step":2,"loss":1,"lr":0.1}`,
		`{"kind":"epoch","epoch":1,"step":4,"test_acc":0.5}`,
		`{"kind":"step","epoch":2,"step":6,"loss":1,"lr":0.1}`,
		`{"kind":"epoch","epoch":2,"step":8,"test_acc":0.6}`, // the checkpoint at step 8 was taken before this epoch's end
		`{"kind":"step","epoch":3,"step":10,"lo`,
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	epochs, err := rewindLog(path, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(epochs) != 1 || epochs[0].TestAcc != 0.5 {
		t.Errorf("epoch records %+v, want epoch 1 only", epochs)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Join(lines[:3], "\n") + "\n"; string(raw) != want {
		t.Errorf("rewound log:\n%s\nwant:\n%s", raw, want)
	}
	lines[1] = `{"kind":"epoch",broken}`
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := rewindLog(path, 8, 1); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("damaged middle line: err = %v", err)
	}
}
