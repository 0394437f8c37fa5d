package flow

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// DefaultTaskQueue is where asvit's workflows and activities are queued
// unless told otherwise.
const DefaultTaskQueue = "asvit"

// NewWorker returns a worker on queue that runs every workflow and, with
// acts, every activity; concurrent bounds the activities it runs at once
// (each measure or training uses all its threads, so 1 suits most machines).
func NewWorker(c client.Client, queue string, acts *Activities, concurrent int) worker.Worker {
	w := worker.New(c, queue, worker.Options{MaxConcurrentActivityExecutionSize: max(1, concurrent)})
	Register(w, acts)
	return w
}

// Register adds the workflows and, when acts is not nil, the activities
// to r under their names.
func Register(r worker.Registry, acts *Activities) {
	r.RegisterWorkflowWithOptions(Search, workflow.RegisterOptions{Name: SearchWorkflow})
	r.RegisterWorkflowWithOptions(Scale, workflow.RegisterOptions{Name: ScaleWorkflow})
	r.RegisterWorkflowWithOptions(Correlate, workflow.RegisterOptions{Name: CorrelateWorkflow})
	if acts == nil {
		return
	}
	r.RegisterActivityWithOptions(acts.Measure, activity.RegisterOptions{Name: MeasureActivity})
	r.RegisterActivityWithOptions(acts.StudyMeasure, activity.RegisterOptions{Name: StudyMeasureActivity})
	r.RegisterActivityWithOptions(acts.StudyTrain, activity.RegisterOptions{Name: StudyTrainActivity})
}
