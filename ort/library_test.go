package ort

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestFindLibrary(t *testing.T) {
	const cache = ".cache/onnxruntime/libonnxruntime.so.1"
	system := []string{
		"/usr/lib/libonnxruntime.so.1", "/usr/lib/libonnxruntime.so",
		"/usr/local/lib/libonnxruntime.so.1", "/usr/local/lib/libonnxruntime.so",
		"/usr/lib/x86_64-linux-gnu/libonnxruntime.so.1", "/usr/lib/x86_64-linux-gnu/libonnxruntime.so",
	}
	tests := []struct {
		name          string
		env, cwd, exe string
		present       []string
		want          string
		tried         []string
	}{
		{
			name: "env wins", env: "/opt/ort/lib.so", cwd: "/w", exe: "/w/tool",
			present: []string{"/opt/ort/lib.so", "/w/" + cache},
			want:    "/opt/ort/lib.so", tried: []string{"/opt/ort/lib.so"},
		},
		{
			name: "missing env is not replaced", env: "/opt/ort/lib.so", cwd: "/w", exe: "/w/tool",
			present: []string{"/w/" + cache},
			want:    "", tried: []string{"/opt/ort/lib.so"},
		},
		{
			name: "cache in a parent of cwd", cwd: "/a/b/c", exe: "/x/tool",
			present: []string{"/a/" + cache, "/x/" + cache},
			want:    "/a/" + cache, tried: []string{"/a/b/c/" + cache, "/a/b/" + cache, "/a/" + cache},
		},
		{
			name: "cache beside the executable", cwd: "/a/b", exe: "/opt/app/bin/tool",
			present: []string{"/opt/app/" + cache, "/usr/lib/libonnxruntime.so.1"},
			want:    "/opt/app/" + cache,
			tried:   []string{"/a/b/" + cache, "/a/" + cache, "/" + cache, "/opt/app/bin/" + cache, "/opt/app/" + cache},
		},
		{
			name: "system dir, unversioned name", cwd: "/a", exe: "/a/tool",
			present: []string{"/usr/lib/x86_64-linux-gnu/libonnxruntime.so"},
			want:    "/usr/lib/x86_64-linux-gnu/libonnxruntime.so",
			tried:   append([]string{"/a/" + cache, "/" + cache}, system...),
		},
		{
			name: "nothing, shared parents tried once", cwd: "/w/x", exe: "/w/bin/tool",
			want:  "",
			tried: append([]string{"/w/x/" + cache, "/w/" + cache, "/" + cache, "/w/bin/" + cache}, system...),
		},
		{
			name: "unknown and relative dirs are skipped", cwd: "rel/dir", exe: "",
			want: "", tried: system,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			exists := func(p string) bool { return slices.Contains(tc.present, p) }
			got, tried := findLibrary(tc.env, tc.cwd, tc.exe, exists)
			if got != tc.want {
				t.Errorf("found %q, want %q", got, tc.want)
			}
			if !slices.Equal(tried, tc.tried) {
				t.Errorf("tried\n%q\nwant\n%q", tried, tc.tried)
			}
		})
	}
}

func TestNotFoundError(t *testing.T) {
	tried := []string{"/a/.cache/onnxruntime/libonnxruntime.so.1", "/usr/lib/libonnxruntime.so"}
	err := notFoundError("", tried)
	if !errors.Is(err, ErrLibraryNotFound) {
		t.Errorf("error %v does not wrap ErrLibraryNotFound", err)
	}
	for _, want := range append(tried, "bash scripts/install-ort.sh", "ONNXRUNTIME_LIB") {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}

	err = notFoundError("/nope/lib.so", []string{"/nope/lib.so"})
	if !errors.Is(err, ErrLibraryNotFound) || !strings.Contains(err.Error(), "ONNXRUNTIME_LIB=/nope/lib.so") {
		t.Errorf("error %q should wrap ErrLibraryNotFound and name ONNXRUNTIME_LIB=/nope/lib.so", err)
	}
}

// initInChild runs Init in a fresh test process with the given environment
// additions and working directory, returning whether the error wrapped
// ErrLibraryNotFound and its text.
func initInChild(t *testing.T, dir string, env ...string) (notFound bool, msg string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{initChildEnv + "=1"}, env...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child process: %v\n%s", err, out)
	}
	first, rest, _ := strings.Cut(string(out), "\n")
	return first == "notfound=true", rest
}

func TestInitMissingEnvPath(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "libonnxruntime.so.1")
	notFound, msg := initInChild(t, t.TempDir(), LibraryEnv+"="+missing)
	if !notFound || !strings.Contains(msg, missing) || !strings.Contains(msg, LibraryEnv) {
		t.Errorf("want ErrLibraryNotFound naming %s and %s, got notfound=%t: %s", LibraryEnv, missing, notFound, msg)
	}
}

func TestInitUnloadableLibrary(t *testing.T) {
	bogus := filepath.Join(t.TempDir(), "libonnxruntime.so.1")
	if err := os.WriteFile(bogus, []byte("not a shared library"), 0o644); err != nil {
		t.Fatal(err)
	}
	notFound, msg := initInChild(t, t.TempDir(), LibraryEnv+"="+bogus)
	if notFound || !strings.Contains(msg, "load library "+bogus) {
		t.Errorf("want a load error naming %s, got notfound=%t: %s", bogus, notFound, msg)
	}
}

func TestInitNothingFound(t *testing.T) {
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if found, _ := findLibrary("", dir, exe, isFile); found != "" {
		t.Skipf("a library outside the test's control is installed at %s", found)
	}
	notFound, msg := initInChild(t, dir, LibraryEnv+"=")
	wantTried := filepath.Join(dir, cacheLibrary)
	if !notFound || !strings.Contains(msg, wantTried) || !strings.Contains(msg, "bash scripts/install-ort.sh") {
		t.Errorf("want ErrLibraryNotFound listing %s and the install script, got notfound=%t: %s", wantTried, notFound, msg)
	}
}

func TestInitConcurrentAndLoadedPath(t *testing.T) {
	var wg sync.WaitGroup
	errs := make([]error, 8)
	paths := make([]string, 8)
	for i := range errs {
		wg.Go(func() {
			errs[i] = Init()
			paths[i] = LibraryPath()
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("the ONNX Runtime library is required by these tests: %v", err)
		}
		if paths[i] != paths[0] {
			t.Errorf("caller %d saw library %q, caller 0 saw %q", i, paths[i], paths[0])
		}
	}
	cwd, _ := os.Getwd()
	exe, _ := os.Executable()
	if want, _ := findLibrary(os.Getenv(LibraryEnv), cwd, exe, isFile); LibraryPath() != want {
		t.Errorf("LibraryPath() = %q, discovery finds %q", LibraryPath(), want)
	}
	if v := Version(); !regexp.MustCompile(`^\d+\.\d+\.\d+`).MatchString(v) {
		t.Errorf("Version() = %q, want a dotted version", v)
	}
}
