package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/urfave/cli/v2"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/asvit/asvit/flow"
	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/study"
	"github.com/asvit/asvit/trainfree"
	"github.com/asvit/asvit/vit"
)

// temporalOptions say how to reach a Temporal cluster.
type temporalOptions struct {
	Address, Namespace, TaskQueue, WorkflowID string
	TLS                                       bool
	CACert, Cert, Key, APIKey                 string
}

// temporalFlags are the connection flags; a driving command (withWorkflow)
// also takes --workflow-id.
func temporalFlags(o *temporalOptions, withWorkflow bool) []cli.Flag {
	addressUsage := "HOST:PORT of the Temporal frontend whose workflows this worker serves"
	if withWorkflow {
		addressUsage = "HOST:PORT of a Temporal frontend: run as a workflow there, measures and trainings on 'asvit worker' processes (without it, everything runs here)"
	}
	fs := []cli.Flag{
		&cli.StringFlag{Name: "temporal", Destination: &o.Address, EnvVars: []string{"TEMPORAL_ADDRESS"}, Usage: addressUsage},
		&cli.StringFlag{Name: "namespace", Value: "default", Destination: &o.Namespace, EnvVars: []string{"TEMPORAL_NAMESPACE"},
			Usage: "Temporal namespace"},
		&cli.StringFlag{Name: "task-queue", Value: flow.DefaultTaskQueue, Destination: &o.TaskQueue,
			Usage: "Temporal task queue the workers poll"},
		&cli.BoolFlag{Name: "tls", Destination: &o.TLS, Usage: "connect with TLS (implied by the --tls-* flags and --api-key)"},
		&cli.StringFlag{Name: "tls-ca", Destination: &o.CACert, Usage: "PEM file of the server's CA (default: the system's roots)"},
		&cli.StringFlag{Name: "tls-cert", Destination: &o.Cert, Usage: "PEM client certificate, for mutual TLS (Temporal Cloud's mTLS, say)"},
		&cli.StringFlag{Name: "tls-key", Destination: &o.Key, Usage: "PEM key of --tls-cert"},
		&cli.StringFlag{Name: "api-key", Destination: &o.APIKey, EnvVars: []string{"TEMPORAL_API_KEY"},
			Usage: "API key (Temporal Cloud)"},
	}
	if withWorkflow {
		fs = append(fs, &cli.StringFlag{Name: "workflow-id", Destination: &o.WorkflowID,
			Usage: "workflow id; the same id re-attaches to a started or finished run (default: asvit/COMMAND/OUT)"})
	}
	return fs
}

func (o temporalOptions) enabled() bool { return o.Address != "" }

// dial connects to the cluster; the SDK's own log goes to stderr at level.
func (o temporalOptions) dial(stderr io.Writer, level slog.Level) (client.Client, error) {
	opts := client.Options{
		HostPort: o.Address, Namespace: o.Namespace,
		Logger: tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))),
	}
	if o.TLS || o.CACert != "" || o.Cert != "" || o.Key != "" || o.APIKey != "" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if o.CACert != "" {
			pem, err := os.ReadFile(o.CACert)
			if err != nil {
				return nil, usagef("--tls-ca: %v", err)
			}
			cfg.RootCAs = x509.NewCertPool()
			if !cfg.RootCAs.AppendCertsFromPEM(pem) {
				return nil, usagef("--tls-ca: %s holds no PEM certificate", o.CACert)
			}
		}
		if (o.Cert == "") != (o.Key == "") {
			return nil, usagef("--tls-cert and --tls-key go together")
		}
		if o.Cert != "" {
			pair, err := tls.LoadX509KeyPair(o.Cert, o.Key)
			if err != nil {
				return nil, usagef("--tls-cert/--tls-key: %v", err)
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
		opts.ConnectionOptions.TLS = cfg
	}
	if o.APIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(o.APIKey)
	}
	host, _, err := net.SplitHostPort(o.Address)
	if err != nil {
		return nil, usagef("--temporal %s: %v; give HOST:PORT, e.g. 127.0.0.1:7233", o.Address, err)
	}
	if net.ParseIP(host) == nil {
		if _, err := net.LookupHost(host); err != nil {
			return nil, fmt.Errorf("temporal %s: cannot resolve %s: %w", o.Address, host, err)
		}
	}
	c, err := client.Dial(opts)
	if err != nil {
		return nil, fmt.Errorf("temporal %s (namespace %s): %w", o.Address, o.Namespace, err)
	}
	return c, nil
}

// run names the workflow of a command writing to out.
func (o temporalOptions) run(command, out string) flow.Run {
	id := o.WorkflowID
	if id == "" {
		id = "asvit/" + command + "/" + filepath.ToSlash(filepath.Clean(out))
	}
	return flow.Run{ID: id, TaskQueue: o.TaskQueue}
}

// checkFreshOut refuses an --out whose log holds records: a workflow's
// files are written there when it ends, so they would come twice.
func checkFreshOut(out string, resume bool) error {
	if resume {
		return usagef("--resume continues a local run; a Temporal run re-attaches by its --workflow-id")
	}
	if fi, err := os.Stat(filepath.Join(out, runs.LogFile)); err == nil && fi.Size() > 0 {
		return usagef("--out %s holds a run already (a finished one, or a local one); give another directory", out)
	}
	return nil
}

// followWorkflow connects, runs or re-attaches to the workflow, and passes
// each record to onRecord.
func followWorkflow[R any, I any](ctx context.Context, o temporalOptions, stderr io.Writer, command, out, workflow string, in I, onRecord func(R), result any) ([]R, error) {
	c, err := o.dial(stderr, slog.LevelWarn)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	run := o.run(command, out)
	fmt.Fprintf(stderr, "workflow %s on %s (namespace %s, task queue %s)\n", run.ID, o.Address, o.Namespace, run.TaskQueue)
	return flow.Follow(ctx, c, run, workflow, in, onRecord, result)
}

// workerActivities builds the activities of 'asvit worker': measurers and
// study evaluators made on first use, one per distinct settings, closed
// by the returned function.
func workerActivities(rt runtimeOptions) (*flow.Activities, func()) {
	var mu sync.Mutex
	var closers []func()
	acts := &flow.Activities{Version: flow.Version(), Threads: rt.Threads}
	acts.Evaluator = func(raw json.RawMessage) (trainfree.Evaluator, error) {
		var m measureOptions
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, err
		}
		s, err := m.settings(rt)
		if err != nil {
			return nil, err
		}
		meas, err := newMeasurer(s, probeSource(m))
		if err != nil {
			return nil, err
		}
		mu.Lock()
		closers = append(closers, meas.Close)
		mu.Unlock()
		ev := evaluator(meas)
		var one sync.Mutex // a measurer measures one topology at a time
		return trainfree.EvaluatorFunc(func(ctx context.Context, t vit.Topology) (trainfree.Measure, error) {
			one.Lock()
			defer one.Unlock()
			return ev.Evaluate(ctx, t)
		}), nil
	}
	acts.Study = func(cfg study.Config) (study.Evaluator, error) {
		o, err := rt.sessionOptions()
		if err != nil {
			return nil, err
		}
		cfg.ORT, cfg.Version = o, Version
		local, err := study.NewLocal(cfg)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		closers = append(closers, local.Close)
		mu.Unlock()
		return local, nil
	}
	return acts, func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range closers {
			c()
		}
	}
}
