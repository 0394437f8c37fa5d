package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/asvit/asvit/cli/asvit/internal/mallocstat"
)

const keepMallocEnv = "ASVIT_KEEP_MALLOC"

// TestMallocSettings checks that the load-time settings are in force in
// this process (the test binary links package main's constructor as the
// asvit binary does), or glibc's defaults when keepMallocEnv is set.
func TestMallocSettings(t *testing.T) {
	const block = 64 << 20 // above glibc's largest default mmap threshold
	_, keep := os.LookupEnv(keepMallocEnv)
	arenas, err := mallocstat.Arenas()
	if err != nil {
		t.Fatal(err)
	}
	mapped := mallocstat.Mapped(block)
	if keep {
		if arenas < 2 || !mapped {
			t.Errorf("with %s: %d arenas after a second thread allocated, 64 MiB block mapped %t; want glibc's defaults (an arena per thread, large blocks mapped)", keepMallocEnv, arenas, mapped)
		}
		return
	}
	if arenas != 1 {
		t.Errorf("%d arenas after a second thread allocated, want 1 (M_ARENA_MAX 1 set before any thread)", arenas)
	}
	if mapped {
		t.Error("a 64 MiB block was mapped on its own, want it on the heap (M_MMAP_MAX 0)")
	}
	if !mapped && mallocstat.Trimmed(block) {
		t.Error("freeing a 64 MiB block trimmed the heap, want it kept (M_TRIM_THRESHOLD -1)")
	}
}

// TestKeepMallocEnv runs TestMallocSettings in a child process with
// keepMallocEnv set.
func TestKeepMallocEnv(t *testing.T) {
	if _, set := os.LookupEnv(keepMallocEnv); set {
		t.Skipf("%s is set in this process; TestMallocSettings covers it", keepMallocEnv)
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestMallocSettings$", "-test.v")
	cmd.Env = append(os.Environ(), keepMallocEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestMallocSettings") {
		t.Fatalf("with %s=1: %v\n%s", keepMallocEnv, err, out)
	}
}
