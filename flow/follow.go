package flow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

// Run names a workflow to start or re-attach to.
type Run struct {
	ID        string        // workflow id; the same id re-attaches
	TaskQueue string        // DefaultTaskQueue when empty
	Poll      time.Duration // between progress queries (1 s when 0)
}

// Follow starts workflow with input under run.ID, or re-attaches to the
// workflow of that id (running or finished) when its input is the same,
// calls onRecord for each of its log records in order as they come, and
// waits for its result into out. It returns every record.
func Follow[R any, I any](ctx context.Context, c client.Client, run Run, workflow string, input I, onRecord func(R), out any) ([]R, error) {
	if run.ID == "" {
		return nil, errors.New("flow: empty workflow id")
	}
	queue := run.TaskQueue
	if queue == "" {
		queue = DefaultTaskQueue
	}
	wr, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: run.ID, TaskQueue: queue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		// Tell a new workflow from an existing one, whose input must match.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, workflow, input)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		wr = c.GetWorkflow(ctx, run.ID, "")
		if err := sameInput(ctx, c, wr, input, poll(run)); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("flow: start %s %s: %w", workflow, run.ID, err)
	}
	done := make(chan error, 1)
	go func() { done <- wr.Get(ctx, out) }()
	var recs []R
	fetch := func() error {
		for {
			var p Page[R]
			v, err := c.QueryWorkflow(ctx, wr.GetID(), wr.GetRunID(), RecordsQuery, len(recs))
			if err != nil {
				return fmt.Errorf("flow: progress of %s: %w", run.ID, err)
			}
			if err := v.Get(&p); err != nil {
				return fmt.Errorf("flow: progress of %s: %w", run.ID, err)
			}
			for _, r := range p.Records {
				onRecord(r)
			}
			recs = append(recs, p.Records...)
			if len(p.Records) == 0 || len(recs) >= p.Total {
				return nil
			}
		}
	}
	tick := time.NewTicker(poll(run))
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if ctx.Err() != nil {
				return recs, fmt.Errorf("flow: stopped following %s (the workflow goes on; the same id re-attaches): %w", run.ID, ctx.Err())
			}
			if err != nil {
				return recs, fmt.Errorf("flow: %s %s failed: %s", workflow, run.ID, rootMessage(err))
			}
			// A finished workflow's queries replay it on a worker.
			return recs, retryQuery(ctx, poll(run), fetch)
		case <-tick.C:
			_ = fetch() // a missed progress query is tried again at the next tick
		}
	}
}

// queryTries bounds the attempts at a query that no worker has answered yet
// (none is running, or one is still replaying the workflow).
const queryTries = 60

// retryQuery calls query until it succeeds, queryTries times at most,
// waiting between attempts.
func retryQuery(ctx context.Context, wait time.Duration, query func() error) error {
	for try := 1; ; try++ {
		err := query()
		if err == nil || try == queryTries || ctx.Err() != nil {
			return err
		}
		time.Sleep(wait)
	}
}

func poll(run Run) time.Duration {
	if run.Poll > 0 {
		return run.Poll
	}
	return time.Second
}

// sameInput refuses to attach to a workflow started with other input. Both
// inputs pass through the same JSON decoding before they are compared.
func sameInput[I any](ctx context.Context, c client.Client, wr client.WorkflowRun, want I, wait time.Duration) error {
	var v converter.EncodedValue
	err := retryQuery(ctx, wait, func() (err error) {
		v, err = c.QueryWorkflow(ctx, wr.GetID(), wr.GetRunID(), InputQuery)
		return err
	})
	if err != nil {
		return fmt.Errorf("flow: input of %s: %w", wr.GetID(), err)
	}
	var got, asked I
	if err := v.Get(&got); err != nil {
		return fmt.Errorf("flow: input of %s: %w", wr.GetID(), err)
	}
	a, err := json.Marshal(got)
	if err != nil {
		return err
	}
	b, err := json.Marshal(want)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &asked); err != nil {
		return err
	}
	if b, err = json.Marshal(asked); err != nil {
		return err
	}
	if !bytes.Equal(a, b) {
		return fmt.Errorf("flow: workflow %s was started with other settings:\n  it has %s\n  asked   %s\ngive another workflow id, or the same settings to re-attach", wr.GetID(), a, b)
	}
	return nil
}

// rootMessage is the message of the innermost Temporal failure in err's
// chain (each layer repeats its causes in its text), or err's text.
func rootMessage(err error) string {
	msg := err.Error()
	for e := err; e != nil; e = errors.Unwrap(e) {
		var app *temporal.ApplicationError
		if errors.As(e, &app) {
			msg = app.Message()
			e = app
		}
	}
	return msg
}
