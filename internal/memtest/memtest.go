// Package memtest reads the process's resident set for memory tests.
package memtest

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// ResidentBytes reads the resident set size from /proc/self/statm, after
// returning freed Go memory to the system so that only retained memory
// counts.
func ResidentBytes(tb testing.TB) int64 {
	tb.Helper()
	debug.FreeOSMemory()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		tb.Fatalf("read resident set size: %v", err)
	}
	fields := strings.Fields(string(b))
	if len(fields) < 2 {
		tb.Fatalf("read resident set size: /proc/self/statm holds %q", b)
	}
	pages, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		tb.Fatalf("read resident set size: %v", err)
	}
	return pages * int64(os.Getpagesize())
}
