package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/asvit/asvit/ort"
)

// Version is the program's version, shown by --version and written into
// exported models. Release builds set it with
// -ldflags "-X github.com/asvit/asvit/cli.Version=…".
var Version = "0.1.0-dev"

// runtimeOptions are the global flags that configure ONNX Runtime.
type runtimeOptions struct {
	Threads int
	Device  string
}

// sessionOptions checks the flags and converts them for ort.NewSession. An
// empty Device is the CPU.
func (o runtimeOptions) sessionOptions() (ort.Options, error) {
	if o.Device == "" {
		o.Device = string(ort.CPU)
	}
	dev, ordinal, err := ort.ParseDevice(o.Device)
	if err != nil {
		return ort.Options{}, usagef("--device: %v", err)
	}
	opts := ort.Options{Threads: o.Threads, Device: dev, CUDADevice: ordinal}
	if err := opts.Validate(); err != nil {
		return ort.Options{}, usagef("--threads/--device: %v", err)
	}
	return opts, nil
}

// NewApp builds the asvit command line application. Help and command output
// go to stdout, which NewApp also sets as App.Writer; App.ErrWriter is
// stderr. Errors are returned, not printed: ExitErrHandler does nothing, and
// Run prints them and maps them to exit codes.
func NewApp(stdout, stderr io.Writer) *cli.App {
	rt := &runtimeOptions{}
	return &cli.App{
		Name:    "asvit",
		Usage:   "design, inspect and run As-ViT vision transformers",
		Version: Version,
		Writer:  stdout, ErrWriter: stderr,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "threads", Destination: &rt.Threads,
				Usage: "ONNX Runtime intra-op threads per session; 0 uses every core"},
			&cli.StringFlag{Name: "device", Value: "cpu", Destination: &rt.Device,
				Usage: "where models run: cpu, cuda or cuda:N (cuda needs a GPU build of ONNX Runtime named by " + ort.LibraryEnv + ")"},
		},
		Commands: []*cli.Command{infoCommand(), exportCommand(), predictCommand(rt), inspectCommand(),
			complexityCommand(rt), searchCommand(rt), scaleCommand(rt), trainCommand(rt), autoCommand(rt), correlateCommand(rt), plotCommand(), benchCommand(rt), detectCommand(rt),
			workerCommand(rt), serverCommand()},
		OnUsageError:   onUsageError,
		ExitErrHandler: func(*cli.Context, error) {},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usagef("unknown command %q; the commands are %s", c.Args().First(), commandNames(c.App))
			}
			if err := cli.ShowAppHelp(c); err != nil {
				return err
			}
			return usagef("no command given; choose one of %s", commandNames(c.App))
		},
	}
}

func commandNames(app *cli.App) string {
	var names []string
	for _, c := range app.VisibleCommands() {
		names = append(names, c.Name)
	}
	return strings.Join(names, ", ")
}

// onUsageError turns flag parsing errors into UsageErrors.
func onUsageError(_ *cli.Context, err error, _ bool) error {
	return &UsageError{Err: err}
}

// Run runs the application on args (args[0] is the program name), prints any
// error to stderr with what to do next, and returns the exit code (see
// ExitCode). Cancelling ctx interrupts the command at its next check.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := NewApp(stdout, stderr)
	args, command := interspersed(app, args)
	err := app.RunContext(ctx, args)
	var usage *UsageError
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "asvit: interrupted")
	case errors.As(err, &usage) && knownCommand(app, command):
		fmt.Fprintf(stderr, "asvit %s: %v\nRun 'asvit %s --help' for usage.\n", command, err, command)
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "asvit: %v\nRun 'asvit --help' for usage.\n", err)
	case knownCommand(app, command):
		fmt.Fprintf(stderr, "asvit %s: %v\n", command, err)
	default:
		fmt.Fprintf(stderr, "asvit: %v\n", err)
	}
	return ExitCode(err)
}

// requireArgs returns the command's positional arguments, failing with a
// UsageError unless there are between lo and hi of them (hi < 0: no
// limit). what names them for the message, as in the usage line.
func requireArgs(c *cli.Context, lo, hi int, what string) ([]string, error) {
	args := c.Args().Slice()
	switch {
	case len(args) < lo:
		return nil, usagef("missing %s", what)
	case hi >= 0 && len(args) > hi:
		return nil, usagef("too many arguments: %q; expected %s", args, what)
	}
	return args, nil
}
