// Package atomicfile replaces files so that a crash at any moment leaves
// either the old content or the new one, never a mix: the data goes to a
// temporary file in the same directory, which is fsynced, renamed over the
// target, and the directory fsynced.
package atomicfile
