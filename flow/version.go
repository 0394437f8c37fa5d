package flow

import (
	"fmt"

	"github.com/asvit/asvit/runs"
)

// Protocol numbers the meaning of the activities' inputs and outputs; it
// changes whenever a worker of the previous protocol would compute
// something else.
const Protocol = 1

// Version is what a workflow asks its workers to be: the protocol and the
// asvit build.
func Version() string { return fmt.Sprintf("p%d/%s", Protocol, runs.Version()) }

// Error types of the activities' failures.
const (
	// IncompatibleWorker: a worker of another version refused; retried.
	IncompatibleWorker = "IncompatibleWorker"
	// WorkerSetup: the worker could not set up (no ONNX Runtime, data
	// missing on it); retried, as another worker may be set up better.
	WorkerSetup = "WorkerSetup"
	// BadInput: the input is wrong wherever it runs; not retried.
	BadInput = "BadInput"
)
