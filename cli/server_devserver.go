//go:build devserver

package cli

import (
	"io"

	"github.com/asvit/asvit/devserver"
)

// startDevServer starts the development server of package devserver, its
// log of warnings and errors going to log.
func startDevServer(opts serverOptions, log io.Writer) (devServer, error) {
	s, err := devserver.Start(devserver.Options{
		IP: opts.IP, Port: opts.Port, DB: opts.DB, Namespaces: opts.Namespaces, Log: log,
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}
