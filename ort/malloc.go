package ort

/*
#include <malloc.h>
#include <stdlib.h>

// Runs when the program is loaded, before any thread exists: glibc fixes
// its arena limit the first time a second thread allocates, so a later
// mallopt would come too late.
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

// KeepMallocEnv, when set to any value, leaves the C allocator's settings
// as they are.
//
// Otherwise every program that links this package makes glibc keep freed
// memory for reuse instead of returning it to the kernel. ONNX Runtime's own
// arena is off (it grows across sessions), so every run allocates its
// activations afresh; with glibc's defaults the large ones are fresh mmaps
// whose pages fault in on every run, which at 224 px doubled a run's time.
// One arena, no mmap for large blocks and no trimming let each run reuse the
// previous one's pages; the resident set stays at the largest run's peak.
const KeepMallocEnv = "ASVIT_KEEP_MALLOC"
