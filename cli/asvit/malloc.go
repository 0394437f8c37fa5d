package main

// The asvit binary tunes glibc's allocator, for two reasons that hold
// together: ONNX Runtime's own CPU arena is off (ort turns it off because it
// grows across thousands of short-lived sessions), so every run allocates
// its activations afresh; and with glibc's defaults the large ones are fresh
// mmaps whose pages fault in again on every run. One arena, no mmap for
// large blocks and no trimming let each run reuse the previous one's pages;
// the resident set stays at the largest run's peak. Measured on the 2-core
// build machine: `asvit complexity ARCH --repeat 5` at 224 px took 12.5 s
// with glibc's defaults and 7.0 s tuned.
//
// The settings are process-wide, so the binary chooses them and the library
// packages do not. They are set by a C constructor, which runs when the
// program is loaded, before the Go runtime or ONNX Runtime start a thread:
// glibc fixes its arena limit when a second thread first allocates, so a
// mallopt from Go, even in an init function, could come too late. Setting
// ASVIT_KEEP_MALLOC to any value keeps glibc's defaults.

/*
#include <malloc.h>
#include <stdlib.h>

__attribute__((constructor)) static void asvit_tune_malloc(void) {
	if (getenv("ASVIT_KEEP_MALLOC") != NULL) {
		return;
	}
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_MMAP_MAX, 0);
	mallopt(M_TRIM_THRESHOLD, -1); // -1 disables trimming
}
*/
import "C"
