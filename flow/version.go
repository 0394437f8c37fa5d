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

// IncompatibleWorker is the error type of a refusal by a worker of another
// version.
const IncompatibleWorker = "IncompatibleWorker"
