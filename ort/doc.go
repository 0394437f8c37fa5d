// Package ort runs ONNX models with ONNX Runtime, through
// github.com/yalue/onnxruntime_go. It takes model bytes and tensors and knows
// nothing of what the models compute.
//
// # Library discovery
//
// ONNX Runtime is a shared library loaded once per process, by Init or by
// the first function that needs it. The first of these that exists is used:
//
//  1. the path in the environment variable ONNXRUNTIME_LIB; when it is set,
//     nothing else is tried;
//  2. .cache/onnxruntime/libonnxruntime.so.1 in the working directory or
//     any of its parents (where scripts/install-ort.sh puts it);
//  3. the same under the executable's directory or any of its parents;
//  4. libonnxruntime.so.1, then libonnxruntime.so, in /usr/lib,
//     /usr/local/lib and /usr/lib/x86_64-linux-gnu.
//
// When none exists, the error wraps ErrLibraryNotFound and lists every path
// tried. LibraryPath and Version report what was loaded.
//
// # Ownership
//
// Everything created here must be released with Destroy; every Destroy is
// safe on nil and when repeated.
//
//   - A Tensor stores its elements in a Go slice that ONNX Runtime reads and
//     writes in place: NewFloat32 and friends use the caller's slice, and
//     Float32s and friends return it, so filling a tensor needs no copy.
//   - A Session keeps nothing from NewSession's model bytes, nor any tensor
//     once Run returns: sessions and tensors can be destroyed in any order.
//   - Outputs that Run allocates belong to the caller.
//
// # Threads
//
// Options.Threads sets each session's intra-op thread pool; 0 means one
// thread per core (runtime.NumCPU). Each session owns its pool, so many
// sessions alive at once, each with every core, oversubscribe the machine.
// One session may serve several goroutines' Run calls at once.
//
// # Devices
//
// Options.Device is CPU (the default) or CUDA, with Options.CUDADevice the GPU
// ordinal; ParseDevice reads "cpu", "cuda" or "cuda:N". CUDA needs a GPU
// build of ONNX Runtime named by ONNXRUNTIME_LIB; with any other build,
// NewSession fails with an error wrapping ErrCUDAUnavailable. Tensors always
// live in host memory, so with CUDA each Run copies inputs to the GPU and
// outputs back.
//
// # Profiling
//
// Options.Profile, when not "", turns ONNX Runtime's profiler on: the
// session records the time of every node of every run and, when it is
// destroyed, writes them as a Chrome trace JSON file (package profile reads
// it). Each session gets a file of its own, PREFIX-PID-N_DATE_TIME.json
// with PREFIX the option, PID the process and N a number that names no
// file yet; ONNX Runtime adds the date and time. The file's directory is
// created. Session.ProfilePath returns the file, known from the session's
// creation but written only by Destroy, and whether it was written;
// ProfilePaths lists the files that a prefix's destroyed sessions wrote,
// for callers that do not see the sessions (a train.Stepper, a
// complexity.Measurer). Profiling says how a session runs, not what it
// computes, and it slows every run.
//
// # Memory
//
// Sessions are created with the CPU memory arena and the memory pattern off,
// because with them on, memory has grown across thousands of short-lived
// sessions. The package's tests create and destroy a thousand sessions and
// check the resident set size.
//
// The package leaves the C allocator's settings alone. Without ONNX
// Runtime's arena every run allocates its activations afresh, which glibc's
// defaults make slow for large inputs; the asvit command tunes glibc when it
// loads (see its malloc.go), and other programs may choose for themselves.
package ort
