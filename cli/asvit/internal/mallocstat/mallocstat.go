package mallocstat

/*
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// sink keeps the compiler from eliding a malloc whose block is only freed.
static void *volatile sink;

static void *alloc_once(void *arg) {
	sink = malloc(64);
	free(sink);
	return NULL;
}

static int thread_allocates(void) {
	pthread_t t;
	if (pthread_create(&t, NULL, alloc_once, NULL) != 0) {
		return -1;
	}
	return pthread_join(t, NULL);
}

static int count_arenas(void) {
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL) {
		return -1;
	}
	malloc_info(0, f);
	fclose(f);
	int n = 0;
	for (char *p = buf; (p = strstr(p, "<heap nr=")) != NULL; p++) {
		n++;
	}
	free(buf);
	return n;
}

static int block_mapped(size_t n) {
	size_t before = mallinfo2().hblks;
	sink = malloc(n);
	size_t after = mallinfo2().hblks;
	free(sink);
	return after > before;
}

static int heap_trimmed(size_t n) {
	char *p = malloc(n);
	if (p == NULL) {
		return -1;
	}
	memset(p, 1, n);
	size_t before = mallinfo2().arena;
	free(p);
	return mallinfo2().arena < before;
}
*/
import "C"

import "errors"

// Arenas starts a thread that allocates, which takes an arena of its own
// unless glibc's arena limit is reached, and returns how many arenas
// malloc_info then lists.
func Arenas() (int, error) {
	if C.thread_allocates() != 0 {
		return 0, errors.New("mallocstat: cannot start a thread")
	}
	n := int(C.count_arenas())
	if n < 1 {
		return 0, errors.New("mallocstat: malloc_info lists no arena")
	}
	return n, nil
}

// Mapped reports whether malloc serves a block of n bytes with an mmap of
// its own.
func Mapped(n int) bool { return C.block_mapped(C.size_t(n)) != 0 }

// Trimmed reports whether freeing a block of n bytes gives heap memory back
// to the kernel. A block that malloc maps on its own is not on the heap, so
// this only means something when Mapped(n) is false.
func Trimmed(n int) bool { return C.heap_trimmed(C.size_t(n)) > 0 }
