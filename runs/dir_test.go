package runs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var testKind = Kind{Name: "test", Format: 3}

type testConfig struct {
	Seed  uint64  `json:"seed"`
	LR    float64 `json:"lr"`
	Steps int     `json:"steps"`
	Eval  any     `json:"evaluator,omitempty"`
}

type testRecord struct {
	Step  int   `json:"step"`
	Value Float `json:"value"`
}

type testState struct {
	Step int `json:"step"`
}

func newRun(t *testing.T, cfg testConfig) (string, *Dir) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run")
	d, err := Open(path, testKind, cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	return path, d
}

// step appends a record and, when save is set, checkpoints after it.
func step(t *testing.T, d *Dir, n int, save bool) {
	t.Helper()
	if err := d.Append(testRecord{Step: n, Value: Float(n) / 3}); err != nil {
		t.Fatal(err)
	}
	if save {
		if err := d.Save(testState{Step: n}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestResumeCutsLogToCheckpoint(t *testing.T) {
	cfg := testConfig{Seed: 1 << 63, LR: 0.08, Steps: 5}
	path, d := newRun(t, cfg)
	step(t, d, 1, true)
	step(t, d, 2, true)
	step(t, d, 3, false) // killed between the log append and the checkpoint
	d.Close()
	// A write cut short leaves half a line as well.
	f, err := os.OpenFile(filepath.Join(path, LogFile), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"step":4,"va`)
	f.Close()

	d, err = Open(path, testKind, cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var st testState
	ok, err := d.Checkpoint(&st)
	if err != nil || !ok || st.Step != 2 {
		t.Fatalf("checkpoint: got %+v, %v, %v; want step 2", st, ok, err)
	}
	step(t, d, 3, true)
	recs, err := ReadLog[testRecord](path)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[2].Step != 3 || recs[2].Value != 1 {
		t.Fatalf("log after resume: got %+v, want steps 1, 2, 3", recs)
	}
}

func TestResumeWithoutCheckpointStartsOver(t *testing.T) {
	cfg := testConfig{Steps: 2}
	path, d := newRun(t, cfg)
	step(t, d, 1, false)
	d.Close()
	d, err := Open(path, testKind, cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if ok, err := d.Checkpoint(&testState{}); ok || err != nil {
		t.Fatalf("checkpoint: got %v, %v; want none", ok, err)
	}
	if recs, _ := ReadLog[testRecord](path); len(recs) != 0 {
		t.Fatalf("log: got %d records, want 0", len(recs))
	}
}

func TestOpenRefusals(t *testing.T) {
	cfg := testConfig{Seed: 7, LR: 0.08, Steps: 500, Eval: map[string]any{"repeat": 5, "batch": 16}}
	path, d := newRun(t, cfg)
	d.Close()
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "x"), nil, 0o644)

	changed := cfg
	changed.LR, changed.Steps = 0.1, 300
	changed.Eval = map[string]any{"repeat": 3, "batch": 16, "image": 64}
	cases := []struct {
		name   string
		path   string
		kind   Kind
		cfg    testConfig
		resume bool
		want   []string
	}{
		{"new over a run", path, testKind, cfg, false, []string{"already holds a run", "resume it"}},
		{"new in a non-empty directory", other, testKind, cfg, false, []string{"not empty"}},
		{"resume without a run", other, testKind, cfg, true, []string{"config.json is missing"}},
		{"resume another kind", path, Kind{Name: "scale", Format: 3}, cfg, true, []string{`holds a "test" run, want a "scale" run`}},
		{"resume another format", path, Kind{Name: "test", Format: 4}, cfg, true, []string{"format 3", "reads format 4"}},
		{"resume other settings", path, testKind, changed, true, []string{
			"evaluator.image (run absent, given 64)", "evaluator.repeat (run 5, given 3)",
			"lr (run 0.08, given 0.1)", "steps (run 500, given 300)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := Open(c.path, c.kind, c.cfg, c.resume)
			if err == nil {
				d.Close()
				t.Fatal("opened, want an error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "seed") || strings.Contains(err.Error(), "batch") {
				t.Errorf("error %q names a setting that did not change", err)
			}
		})
	}
	var stored testConfig
	if err := ReadConfig(path, testKind, &stored); err != nil || stored.Seed != 7 || stored.Steps != 500 {
		t.Fatalf("ReadConfig: got %+v, %v", stored, err)
	}
}

func TestResumeRefusesShortLog(t *testing.T) {
	cfg := testConfig{}
	path, d := newRun(t, cfg)
	step(t, d, 1, true)
	d.Close()
	os.Truncate(filepath.Join(path, LogFile), 3)
	if d, err := Open(path, testKind, cfg, true); err == nil || !strings.Contains(err.Error(), "altered") {
		if d != nil {
			d.Close()
		}
		t.Fatalf("got %v, want a refusal of the altered log", err)
	}
}

func TestVersion(t *testing.T) {
	if Version() == "" {
		t.Fatal("empty version")
	}
}

func TestResumeIgnoresFreeKeys(t *testing.T) {
	kind := Kind{Name: "test", Format: 3, Free: []string{"evaluator.threads", "lr"}}
	cfg := testConfig{LR: 0.1, Eval: map[string]any{"threads": 2, "repeat": 5}}
	path := filepath.Join(t.TempDir(), "run")
	d, err := Open(path, kind, cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	cfg.LR, cfg.Eval = 0.2, map[string]any{"threads": 8, "repeat": 5}
	d, err = Open(path, kind, cfg, true)
	if err != nil {
		t.Fatalf("resume with other free settings: %v", err)
	}
	d.Close()
	cfg.Eval = map[string]any{"threads": 8, "repeat": 3}
	if _, err := Open(path, kind, cfg, true); err == nil || !strings.Contains(err.Error(), "evaluator.repeat") || strings.Contains(err.Error(), "threads") {
		t.Fatalf("resume with another repeat: got %v, want a refusal naming evaluator.repeat only", err)
	}
}

// TestOpenExternalCutsToTheGivenSize resumes a run whose checkpoint is the
// caller's own: the log is cut back to the size it recorded, and without
// a checkpoint to nothing.
func TestOpenExternalCutsToTheGivenSize(t *testing.T) {
	cfg := testConfig{Steps: 3}
	path := filepath.Join(t.TempDir(), "run")
	none := func() (int64, error) { return 0, nil }
	d, err := OpenExternal(path, testKind, cfg, false, none)
	if err != nil {
		t.Fatal(err)
	}
	step(t, d, 1, false)
	covered := d.LogSize()
	step(t, d, 2, false)
	d.Close()
	os.WriteFile(filepath.Join(path, CheckpointFile), []byte("not ours"), 0o644) // never read
	d, err = OpenExternal(path, testKind, cfg, true, func() (int64, error) { return covered, nil })
	if err != nil {
		t.Fatal(err)
	}
	if d.LogSize() != covered {
		t.Errorf("log size %d after resume, want %d", d.LogSize(), covered)
	}
	d.Close()
	if recs, _ := ReadLog[testRecord](path); len(recs) != 1 || recs[0].Step != 1 {
		t.Fatalf("log after resume: %+v, want step 1 only", recs)
	}
	d, err = OpenExternal(path, testKind, cfg, true, none)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if recs, _ := ReadLog[testRecord](path); len(recs) != 0 {
		t.Fatalf("log after resume without a checkpoint: %+v, want none", recs)
	}
}

func TestStartedKindOfAndOldDirectories(t *testing.T) {
	path, d := newRun(t, testConfig{})
	d.Close()
	if ok, err := Started(path); !ok || err != nil {
		t.Errorf("Started(run) = %v, %v", ok, err)
	}
	if ok, err := Started(t.TempDir()); ok || err != nil {
		t.Errorf("Started(empty) = %v, %v", ok, err)
	}
	if k, err := KindOf(path); err != nil || k.Name != "test" || k.Format != 3 {
		t.Errorf("KindOf = %+v, %v", k, err)
	}
	old := t.TempDir()
	os.WriteFile(filepath.Join(old, ConfigFile), []byte(`{"arch":"8,2,3|4,1,2|4,1,4|4,1,6|32","epochs":4}`), 0o644)
	for _, err := range []error{
		func() error { _, err := KindOf(old); return err }(),
		func() error { _, err := Open(old, testKind, testConfig{}, true); return err }(),
		ReadConfig(old, testKind, &testConfig{}),
	} {
		if err == nil || !strings.Contains(err.Error(), "older asvit") {
			t.Errorf("old directory: got %v, want a refusal that names an older asvit", err)
		}
	}
}
