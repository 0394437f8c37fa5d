package cli

import (
	"fmt"
	"log/slog"

	"github.com/urfave/cli/v2"

	"github.com/asvit/asvit/flow"
)

func workerCommand(rt *runtimeOptions) *cli.Command {
	var t temporalOptions
	var concurrent int
	return &cli.Command{
		Name:  "worker",
		Usage: "run asvit's activities (measures and trainings) for Temporal workflows",
		Description: `Polls --task-queue on the Temporal cluster at --temporal and runs what
'asvit search|scale|correlate --temporal' workflows ask: a topology's
measures, a study candidate's proxies, a study training. Start as many as
there are machines; each logs the activities it runs. Data and training
directories named by a workflow are read and written on the worker, so give
paths every worker reaches (a shared file system). A worker of another asvit
version refuses the work and Temporal hands it to another. Stop with Ctrl-C;
an activity cut short is retried elsewhere after its heartbeat times out.`,
		Flags: append(temporalFlags(&t, false),
			&cli.IntFlag{Name: "concurrency", Value: 1, Destination: &concurrent,
				Usage: "activities at once (each uses --threads; 1 suits a machine that one measure fills)"},
		),
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if _, err := requireArgs(c, 0, 0, ""); err != nil {
				return err
			}
			if !t.enabled() {
				return usagef("--temporal HOST:PORT is required")
			}
			if concurrent < 1 {
				return usagef("--concurrency: got %d, want at least 1", concurrent)
			}
			tc, err := t.dial(c.App.ErrWriter, slog.LevelInfo)
			if err != nil {
				return err
			}
			defer tc.Close()
			acts, closeAll := workerActivities(*rt)
			defer closeAll()
			w := flow.NewWorker(tc, t.TaskQueue, acts, concurrent)
			fmt.Fprintf(c.App.ErrWriter, "asvit worker %s on %s, namespace %s, task queue %s\n", acts.Version, t.Address, t.Namespace, t.TaskQueue)
			stop := make(chan any)
			go func() { <-c.Context.Done(); close(stop) }()
			return w.Run(stop)
		},
	}
}
