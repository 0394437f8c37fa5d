package ort

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestProfile runs two profiling sessions with one prefix and checks that
// each writes its own file, named as documented, once it is destroyed, that
// the file holds the nodes' kernel times, and that ProfilePaths lists both.
func TestProfile(t *testing.T) {
	initORT(t)
	// The brackets would be a character class to filepath.Glob.
	prefix := filepath.Join(t.TempDir(), "sub [dir]", "affine")
	model := affineModel(t, 8, 4)
	rng := rand.New(rand.NewPCG(3, 4))
	in := newTensors(t, [][]int64{{2, 8}, {8, 4}, {4}}, randFloat32s(rng, 16), randFloat32s(rng, 32), randFloat32s(rng, 4))
	name := regexp.MustCompile(fmt.Sprintf(`^affine-%d-\d+_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d(_\d+)?\.json$`, os.Getpid()))

	var paths []string
	for i := range 2 {
		s, err := NewSession(model, nil, nil, Options{Threads: 1, Profile: prefix})
		if err != nil {
			t.Fatal(err)
		}
		path, err := s.ProfilePath()
		if err != nil || path == "" {
			s.Destroy()
			t.Fatalf("session %d: ProfilePath = %q, %v before any run; want the file ONNX Runtime opened", i, path, err)
		}
		if !name.MatchString(filepath.Base(path)) || filepath.Dir(path) != filepath.Dir(prefix) {
			t.Errorf("profile %s: want %s-PID-N_DATE_TIME.json", path, prefix)
		}
		for range 3 {
			out, err := s.Run(in)
			if err != nil {
				t.Fatal(err)
			}
			DestroyAll(out)
		}
		if got := ProfilePaths(prefix); len(got) != i {
			t.Errorf("before Destroy: ProfilePaths = %q, want the %d destroyed sessions' files", got, i)
		}
		s.Destroy()
		after, err := s.ProfilePath()
		if err != nil || after != path {
			t.Errorf("after Destroy: ProfilePath = %q, %v; want %q, nil", after, err, path)
		}
		checkProfileFile(t, path, 3)
		paths = append(paths, path)
	}
	if paths[0] == paths[1] {
		t.Errorf("two sessions wrote to one file %s", paths[0])
	}
	if got := ProfilePaths(prefix); !slices.Equal(got, paths) {
		t.Errorf("ProfilePaths = %q, want %q", got, paths)
	}
	if got := ProfilePaths(prefix + "x"); len(got) != 0 {
		t.Errorf("ProfilePaths of another prefix = %q, want none", got)
	}
}

// checkProfileFile checks that path is a JSON array of trace events with
// one MatMul and one Add kernel time per run.
func checkProfileFile(t *testing.T, path string, runs int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var events []struct {
		Cat  string         `json:"cat"`
		Name string         `json:"name"`
		Dur  *float64       `json:"dur"`
		Args map[string]any `json:"args"`
	}
	if err := json.Unmarshal(data, &events); err != nil {
		t.Fatalf("profile %s is not a JSON array of events: %v", path, err)
	}
	kernels := map[string]int{}
	for _, e := range events {
		if e.Cat == "Node" && strings.HasSuffix(e.Name, "_kernel_time") {
			if e.Dur == nil || *e.Dur < 0 {
				t.Errorf("event %s: dur %v", e.Name, e.Dur)
			}
			op, _ := e.Args["op_name"].(string)
			kernels[op]++
		}
	}
	if kernels["MatMul"]+kernels["Gemm"]+kernels["FusedMatMul"] != runs || kernels["Add"]+kernels["Gemm"] != runs {
		t.Errorf("profile %s: kernel times by op %v, want one MatMul and one Add (or one Gemm) per run, %d runs", path, kernels, runs)
	}
}

func TestProfileOff(t *testing.T) {
	initORT(t)
	s := openSession(t, affineModel(t, 2, 2), nil, nil, Options{})
	if path, err := s.ProfilePath(); path != "" || err != nil {
		t.Errorf("ProfilePath without profiling = %q, %v; want \"\", nil", path, err)
	}
	// Configurations recorded before profiling existed read the same.
	b, err := json.Marshal(Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "Profile") {
		t.Errorf("Options without a profile encode as %s; want no Profile key", b)
	}
	b, err = json.Marshal(Options{Profile: "p"})
	if err != nil || !strings.Contains(string(b), `"Profile":"p"`) {
		t.Errorf("Options with a profile encode as %s, %v; want the Profile key", b, err)
	}
}

func TestProfileBadPrefix(t *testing.T) {
	initORT(t)
	dir := t.TempDir()
	if _, err := NewSession(affineModel(t, 2, 2), nil, nil, Options{Profile: dir + string(filepath.Separator)}); err == nil || !strings.Contains(err.Error(), "add a file name prefix") {
		t.Errorf("prefix ending in a separator: error %v, want one asking for a file name prefix", err)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewSession(affineModel(t, 2, 2), nil, nil, Options{Profile: filepath.Join(file, "p")}); err == nil || !strings.Contains(err.Error(), "profile directory") {
		t.Errorf("prefix under a file: error %v, want one about the profile directory", err)
	}
}

// TestProfileSkipsTakenNames leaves a file where the next session's
// profile would go and checks that the session picks another name.
func TestProfileSkipsTakenNames(t *testing.T) {
	initORT(t)
	prefix := filepath.Join(t.TempDir(), "p")
	profiles.mu.Lock()
	next := profiles.next + 1
	profiles.mu.Unlock()
	stale := fmt.Sprintf("%s-%d-%d_2000-01-01_00-00-00.json", prefix, os.Getpid(), next)
	if err := os.WriteFile(stale, []byte("[]"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := NewSession(affineModel(t, 2, 2), nil, nil, Options{Profile: prefix})
	if err != nil {
		t.Fatal(err)
	}
	s.Destroy()
	path, err := s.ProfilePath()
	if err != nil || path == "" || path == stale {
		t.Errorf("ProfilePath = %q, %v; want a new file beside %s", path, err, stale)
	}
	if b, _ := os.ReadFile(stale); string(b) != "[]" {
		t.Errorf("the stale file was overwritten: %q", b)
	}
}

func TestGlobEscape(t *testing.T) {
	for _, s := range []string{"plain", "a*b", "a?b", "[ab]", `back\slash`, "ü"} {
		if ok, err := filepath.Match(globEscape(s), s); !ok || err != nil {
			t.Errorf("Match(globEscape(%q), %q) = %v, %v; want true", s, s, ok, err)
		}
	}
	if ok, _ := filepath.Match(globEscape("a*"), "abc"); ok {
		t.Error("an escaped * still matches anything")
	}
}
