package cli

import (
	"context"
	"errors"
	"fmt"
)

// Exit codes returned by Run.
const (
	ExitOK          = 0
	ExitFailure     = 1
	ExitUsage       = 2
	ExitInterrupted = 130
)

// UsageError is a mistake in how the program was called: an unknown or
// malformed flag, a missing argument, an invalid topology string or flag
// value. Run returns ExitUsage for it.
type UsageError struct {
	Err error
}

func (e *UsageError) Error() string { return e.Err.Error() }

func (e *UsageError) Unwrap() error { return e.Err }

// usagef returns a UsageError with a formatted message.
func usagef(format string, a ...any) error {
	return &UsageError{Err: fmt.Errorf(format, a...)}
}

// ExitCode maps the error of a command to the process exit status: ExitOK
// for nil, ExitInterrupted when it wraps context.Canceled, ExitUsage for a
// UsageError and ExitFailure otherwise.
func ExitCode(err error) int {
	var usage *UsageError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &usage):
		return ExitUsage
	}
	return ExitFailure
}
