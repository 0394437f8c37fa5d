package ort

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	onnxruntime "github.com/yalue/onnxruntime_go"
)

// Options configures a Session. The zero value runs on the CPU with one
// intra-op thread per core and every graph optimisation.
type Options struct {
	// Threads is the number of intra-op threads; 0 means runtime.NumCPU().
	Threads int
	// OptLevel is how far ONNX Runtime rewrites the graph before running it.
	OptLevel OptLevel
	// Device selects the execution provider; "" means CPU.
	Device Device
	// CUDADevice is the GPU ordinal used when Device is CUDA.
	CUDADevice int
	// Profile, when not "", turns ONNX Runtime's profiler on and is the
	// path prefix of the profiles it writes, one per session (see
	// Session.ProfilePath). Profiling says how a session runs, not what it
	// computes; it costs time on every run. It is left out of JSON when
	// empty, so configurations without it read as before.
	Profile string `json:",omitempty"`
}

// Validate reports the first field of o that is out of range.
func (o Options) Validate() error {
	if o.Threads < 0 {
		return fmt.Errorf("threads %d is negative; use 0 for one per core or a positive count", o.Threads)
	}
	if _, ok := optLevels[o.OptLevel]; !ok {
		return fmt.Errorf("optimisation level %d is unknown; allowed: %s", int(o.OptLevel), optLevelNames())
	}
	switch o.Device {
	case "", CPU:
		if o.CUDADevice != 0 {
			return fmt.Errorf("cuda device %d given with device cpu; set the device to cuda or leave the cuda device at 0", o.CUDADevice)
		}
	case CUDA:
		if o.CUDADevice < 0 {
			return fmt.Errorf("cuda device %d is negative; use a GPU ordinal such as 0", o.CUDADevice)
		}
	default:
		return fmt.Errorf("device %q is unknown; allowed: cpu, cuda", string(o.Device))
	}
	if o.Profile != "" && strings.HasSuffix(o.Profile, string(filepath.Separator)) {
		return fmt.Errorf("profile prefix %q ends in a directory; add a file name prefix such as %q", o.Profile, filepath.Join(o.Profile, "profile"))
	}
	return nil
}

// ThreadCount resolves Threads to the count passed to ONNX Runtime.
func (o Options) ThreadCount() int {
	if o.Threads == 0 {
		return runtime.NumCPU()
	}
	return o.Threads
}

// Device names an execution provider.
type Device string

// The devices a Session can run on.
const (
	CPU  Device = "cpu"
	CUDA Device = "cuda"
)

// ErrCUDAUnavailable is wrapped by the error NewSession returns when CUDA was
// asked for but the loaded ONNX Runtime library cannot provide it.
var ErrCUDAUnavailable = errors.New("cuda execution provider unavailable")

// ParseDevice parses "cpu", "cuda" or "cuda:N" (N a GPU ordinal, default 0),
// as accepted on a command line, into the Device and CUDADevice fields of
// Options.
func ParseDevice(s string) (dev Device, cudaDevice int, err error) {
	name, ordinal, hasOrdinal := strings.Cut(strings.TrimSpace(s), ":")
	switch Device(name) {
	case CPU:
		if hasOrdinal {
			return "", 0, fmt.Errorf("device %q: cpu takes no ordinal; use cpu, cuda or cuda:N", s)
		}
		return CPU, 0, nil
	case CUDA:
		if !hasOrdinal {
			return CUDA, 0, nil
		}
		n, err := strconv.Atoi(ordinal)
		if err != nil || n < 0 {
			return "", 0, fmt.Errorf("device %q: %q is not a GPU ordinal; use cuda:N with N >= 0", s, ordinal)
		}
		return CUDA, n, nil
	}
	return "", 0, fmt.Errorf("device %q is unknown; use cpu, cuda or cuda:N", s)
}

// OptLevel is a graph optimisation level. The zero value is OptAll.
type OptLevel int

// The optimisation levels, from most to least rewriting.
const (
	OptAll OptLevel = iota
	OptExtended
	OptBasic
	OptDisable
)

var optLevels = map[OptLevel]struct {
	name string
	ort  onnxruntime.GraphOptimizationLevel
}{
	OptAll:      {"all", onnxruntime.GraphOptimizationLevelEnableAll},
	OptExtended: {"extended", onnxruntime.GraphOptimizationLevelEnableExtended},
	OptBasic:    {"basic", onnxruntime.GraphOptimizationLevelEnableBasic},
	OptDisable:  {"disable", onnxruntime.GraphOptimizationLevelDisableAll},
}

// optLevelNames lists the accepted names, from most to least rewriting.
func optLevelNames() string {
	names := make([]string, 0, len(optLevels))
	for l := OptAll; l <= OptDisable; l++ {
		names = append(names, optLevels[l].name)
	}
	return strings.Join(names, ", ")
}

// ParseOptLevel parses "all", "extended", "basic" or "disable".
func ParseOptLevel(s string) (OptLevel, error) {
	for l, v := range optLevels {
		if v.name == s {
			return l, nil
		}
	}
	return 0, fmt.Errorf("optimisation level %q is unknown; allowed: %s", s, optLevelNames())
}

// String returns the name ParseOptLevel accepts.
func (l OptLevel) String() string {
	if v, ok := optLevels[l]; ok {
		return v.name
	}
	return "OptLevel(" + strconv.Itoa(int(l)) + ")"
}

// sessionOptions builds ONNX Runtime session options from o, which must be
// valid, with the profiler writing to profile + "_" + a timestamp + ".json"
// when profile is not "". The caller destroys the result once the session
// exists.
//
// The CPU memory arena and memory pattern are off: with them on, memory has
// grown across many short-lived sessions, and the tensors here are
// caller-allocated anyway. A session's threads stop spinning when its run
// ends: each session has a pool of its own, and a pool left spinning took
// the cores from the next session's run (a training step right after a
// forward pass of another session took 40% longer, the forward 2×).
func (o Options) sessionOptions(profile string) (*onnxruntime.SessionOptions, error) {
	so, err := onnxruntime.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("create session options: %w", err)
	}
	type step struct {
		what string
		do   func() error
	}
	steps := []step{
		{"set intra-op threads", func() error { return so.SetIntraOpNumThreads(o.ThreadCount()) }},
		{"set optimisation level", func() error { return so.SetGraphOptimizationLevel(optLevels[o.OptLevel].ort) }},
		{"disable cpu memory arena", func() error { return so.SetCpuMemArena(false) }},
		{"disable memory pattern", func() error { return so.SetMemPattern(false) }},
		{"stop spinning after each run", func() error { return so.AddSessionConfigEntry("session.force_spinning_stop", "1") }},
	}
	if profile != "" {
		steps = append(steps, step{"enable profiling", func() error { return so.EnableProfiling(profile) }})
	}
	if o.Device == CUDA {
		steps = append(steps, step{fmt.Sprintf("enable cuda device %d", o.CUDADevice),
			func() error { return appendCUDA(so, o.CUDADevice) }})
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			so.Destroy()
			return nil, fmt.Errorf("%s: %w", s.what, err)
		}
	}
	return so, nil
}

// appendCUDA adds the CUDA execution provider for GPU ordinal device.
func appendCUDA(so *onnxruntime.SessionOptions, device int) error {
	cuda, err := onnxruntime.NewCUDAProviderOptions()
	if err != nil {
		return cudaUnavailable(err)
	}
	defer cuda.Destroy()
	if err := cuda.Update(map[string]string{"device_id": strconv.Itoa(device)}); err != nil {
		return cudaUnavailable(err)
	}
	if err := so.AppendExecutionProviderCUDA(cuda); err != nil {
		return cudaUnavailable(err)
	}
	return nil
}

func cudaUnavailable(err error) error {
	return fmt.Errorf("%w: the library %s has no usable CUDA provider (%v); set %s to a GPU build of ONNX Runtime with CUDA and cuDNN installed, or use device cpu",
		ErrCUDAUnavailable, LibraryPath(), err, LibraryEnv)
}
