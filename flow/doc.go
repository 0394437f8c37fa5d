// Package flow runs asvit's pipelines as Temporal workflows, so that the
// candidates of a search, a scaling run or a correlation study are measured
// and trained as activities on any number of worker machines.
//
// # Workflows
//
// Search, Scale and Correlate are the local algorithms themselves: they
// drive a search.Searcher, a scale.Scaler and the study's steps, whose
// evaluations become activities. The workflow code does no I/O, reads the
// clock only through workflow.Now and draws every random number from the
// run's seeded streams, so Temporal can replay it; given the same settings
// a workflow gives the result of the local run. The samples of a search
// step (search.Config.BatchSize), the candidates of a scaling step and the
// measurements and trainings of a study run at the same time, as many as
// there are workers to take them.
//
// # Activities
//
// Measure (one topology's κ and L^E), StudyMeasure (every proxy of a study
// candidate) and StudyTrain (one training of a study, whose run directory
// lies on a path the workers share, so a retried activity resumes it) are
// pure functions of their JSON inputs. They heartbeat while they work, so a
// worker that dies is noticed after Timeouts.Heartbeat and its activity
// retried elsewhere. Each input names the protocol and asvit version it
// needs (Version); a worker of another version refuses it with an
// IncompatibleWorker error, which Temporal retries until a matching worker
// takes it.
//
// # Progress
//
// Every workflow answers the query "records" with its log records from a
// given index on, and "input" with its input. Follow starts a workflow, or
// re-attaches to the one with the same workflow id, streams its records,
// and returns them with the result; the command line writes them into the
// same run directory a local run leaves.
package flow
