//go:build !devserver

package cli

import (
	"errors"
	"io"
)

// startDevServer fails: this build leaves the Temporal server out (see
// package devserver for why).
func startDevServer(serverOptions, io.Writer) (devServer, error) {
	return nil, errors.New("this asvit was built without the development server; " +
		"rebuild with `go build -tags devserver ./cli/asvit`, or run `temporal server start-dev`")
}
