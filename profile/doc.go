// Package profile reads the profiles ONNX Runtime writes (ort.Options.Profile)
// and says where a session's time goes, by op type and by node.
//
// # The format
//
// A profile is a Chrome trace: one JSON array of complete events, each an
// object such as
//
//	{"cat": "Node", "name": "patch_embed/Conv_0_kernel_time", "ph": "X",
//	 "ts": 32787, "dur": 76, "pid": 1, "tid": 1,
//	 "args": {"op_name": "Conv", "provider": "CPUExecutionProvider", ...}}
//
// with times in microseconds. Category "Session" holds the session's own
// events: model_loading_array and session_initialization once, then
// model_run (and the executor's span inside it) for every run. Category
// "Node" holds one event per node per run whose name is the node's name
// followed by "_kernel_time" (older releases add "_fence_before" and
// "_fence_after" events of no duration around it). Fields other than cat,
// name, ts, dur and args.op_name and args.provider are ignored.
//
// # Reading
//
// Parse and Read return the events of one profile, ReadFile those of a
// file; an error names the first event that is not as described above (not
// an object, a field of the wrong type, a negative or absurd duration, a
// kernel time without its op or its duration) or says how the array is
// broken, as in a file cut short. Nothing in a profile makes them panic.
//
// # Summaries
//
// Summarize (and SummarizeFiles, which reads files one at a time) adds the
// kernel times up by op type and by node: calls, total and mean time, and
// each one's share of the total kernel time, so that the shares add up to
// one. The Session events are added up by name alongside. SkipRuns leaves
// warm-up runs out first. OpsTable and NodesTable render a Summary as
// Markdown tables for notes and the README.
//
// Kernel time is what the nodes took; the runs (model_run) also spend time
// between nodes and, with a parallel executor, nodes overlap, so the two
// totals differ. Profiling itself slows every node a little: time a model
// without it, and read a profile for the shares.
package profile
