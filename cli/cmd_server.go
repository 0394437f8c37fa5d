package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
)

// serverOptions are the arguments of asvit server.
type serverOptions struct {
	Dev        bool
	DB         string
	IP         string
	Port       int
	Namespaces []string
}

// devServer is a running development server: a *devserver.Server in a
// build with the devserver tag (server_devserver.go).
type devServer interface {
	HostPort() string
	Stop() error
}

func serverCommand() *cli.Command {
	var opts serverOptions
	return &cli.Command{
		Name:  "server",
		Usage: "run a Temporal development server in this process (--dev)",
		Description: `Starts a Temporal server with all its services in this process: the
frontend on --ip:--port, the history, matching and worker services on the
three ports after it. Its state is the SQLite file --db, created when new
and reused as it is, workflows and all, when it exists; without --db it
is kept in memory and lost when the server stops. The namespaces
(--namespace, repeatable; default "default") are created when missing.
It prints the address, serves until interrupted (Ctrl-C or SIGTERM) and
then stops cleanly; its warnings and errors go to stderr.

Only --dev is supported: a production cluster is run with Temporal's own
Helm chart or Temporal Cloud. The server is compiled in only with
"go build -tags devserver ./cli/asvit"; "temporal server start-dev" runs
the same kind of server.`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dev", Destination: &opts.Dev,
				Usage: "run the single-process development server (required)"},
			&cli.StringFlag{Name: "db", Destination: &opts.DB,
				Usage: "SQLite file that keeps the server's state; empty: in memory"},
			&cli.StringFlag{Name: "ip", Value: "127.0.0.1", Destination: &opts.IP,
				Usage: "IP address the services listen on (0.0.0.0: every interface)"},
			&cli.IntFlag{Name: "port", Value: 7233, Destination: &opts.Port,
				Usage: "frontend gRPC port; the next three ports are also used"},
			&cli.StringSliceFlag{Name: "namespace",
				Usage: `namespace to create when missing (repeatable; default "default")`},
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if _, err := requireArgs(c, 0, 0, ""); err != nil {
				return err
			}
			opts.Namespaces = c.StringSlice("namespace")
			return runServer(c.Context, opts, c.App.Writer, c.App.ErrWriter)
		},
	}
}

func runServer(ctx context.Context, opts serverOptions, stdout, stderr io.Writer) error {
	if !opts.Dev {
		return usagef("only --dev is supported: asvit runs a development server in its own process; " +
			"run a production cluster with Temporal's own Helm chart or use Temporal Cloud")
	}
	if opts.Port < 1 || opts.Port > 65532 {
		return usagef("--port: got %d, want 1..65532 (the three ports after it are also used)", opts.Port)
	}
	if len(opts.Namespaces) == 0 {
		opts.Namespaces = []string{"default"}
	}
	// main cancels ctx on the first SIGINT or SIGTERM; this covers callers
	// that do not. It is released as soon as a signal arrives, so that a
	// second one while stopping gets the default action.
	ctx, release := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer release()
	go func() {
		<-ctx.Done()
		release()
	}()

	srv, err := startDevServer(opts, stderr)
	if err != nil {
		return err
	}
	ns := "namespace " + opts.Namespaces[0]
	if len(opts.Namespaces) > 1 {
		ns = "namespaces " + strings.Join(opts.Namespaces, ", ")
	}
	state := "state in " + opts.DB
	if opts.DB == "" {
		state = "state in memory (lost when it stops)"
	}
	fmt.Fprintf(stdout, "Temporal server on %s, %s, %s\n", srv.HostPort(), ns, state)

	<-ctx.Done()
	fmt.Fprintln(stderr, "stopping the Temporal server")
	return srv.Stop()
}
