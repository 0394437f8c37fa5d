package profile

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The test data are profiles ONNX Runtime 1.30 wrote on the CPU:
// mlp.json, whole, of a MatMul → Add → Relu graph run three times, and
// tiny-vit-trimmed.json, of a tiny As-ViT's forward pass, cut down to its
// session events, its first eight kernel times and its first run's events.
const (
	mlpProfile  = "testdata/mlp.json"
	tinyProfile = "testdata/tiny-vit-trimmed.json"
)

func TestReadFileMLP(t *testing.T) {
	events, err := ReadFile(mlpProfile)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 17 {
		t.Fatalf("%d events, want 17", len(events))
	}
	first := events[2]
	if !first.Kernel() || first.Node() != "matmul" || first.Op != "MatMul" || first.Provider != "CPUExecutionProvider" || first.Dur != 93 || first.Start != 3029 {
		t.Errorf("first kernel event %+v, want matmul's MatMul of 93 µs at 3029 µs on the CPU", first)
	}
	s := Summarize(events)
	if s.Kernels != 9 || s.KernelUS != 127 || s.Runs != 3 || s.RunUS != 227 {
		t.Errorf("kernels %d (%g µs), runs %d (%g µs); want 9 (127 µs), 3 (227 µs)", s.Kernels, s.KernelUS, s.Runs, s.RunUS)
	}
	wantOps := []Stat{
		{Name: "MatMul", Calls: 3, TotalUS: 99, MeanUS: 33, Share: 99.0 / 127},
		{Name: "Add", Calls: 3, TotalUS: 18, MeanUS: 6, Share: 18.0 / 127},
		{Name: "Relu", Calls: 3, TotalUS: 10, MeanUS: 10.0 / 3, Share: 10.0 / 127},
	}
	if len(s.Ops) != len(wantOps) {
		t.Fatalf("ops %+v, want %+v", s.Ops, wantOps)
	}
	for i, w := range wantOps {
		if g := s.Ops[i]; g.Name != w.Name || g.Calls != w.Calls || g.TotalUS != w.TotalUS || !near(g.MeanUS, w.MeanUS) || !near(g.Share, w.Share) {
			t.Errorf("op %d: %+v, want %+v", i, g, w)
		}
	}
	if n := s.Nodes[0]; n.Name != "matmul" || n.Op != "MatMul" || n.Provider != "CPUExecutionProvider" || n.Calls != 3 {
		t.Errorf("top node %+v, want matmul (MatMul on the CPU, 3 calls)", n)
	}
	session := map[string]Stat{}
	for _, st := range s.Session {
		session[st.Name] = st
	}
	if st := session["session_initialization"]; st.Calls != 1 || st.TotalUS != 2497 {
		t.Errorf("session_initialization %+v, want 1 call of 2497 µs", st)
	}
	if st := session[RunEvent]; st.Calls != 3 || st.TotalUS != 227 {
		t.Errorf("model_run %+v, want 3 calls, 227 µs", st)
	}
}

func TestSkipRuns(t *testing.T) {
	events, err := ReadFile(mlpProfile)
	if err != nil {
		t.Fatal(err)
	}
	if got := SkipRuns(events, 0); len(got) != len(events) {
		t.Errorf("SkipRuns(0) kept %d of %d events", len(got), len(events))
	}
	s := Summarize(SkipRuns(events, 1))
	// The first run's kernels took 93 + 14 + 4 µs of the 127.
	if s.Kernels != 6 || s.KernelUS != 16 || s.Runs != 2 || s.RunUS != 33 {
		t.Errorf("without the first run: %d kernels (%g µs), %d runs (%g µs); want 6 (16 µs), 2 (33 µs)", s.Kernels, s.KernelUS, s.Runs, s.RunUS)
	}
	checkShares(t, s)
	names := map[string]int{}
	for _, st := range s.Session {
		names[st.Name] = st.Calls
	}
	if names["session_initialization"] != 1 || names["model_loading_array"] != 1 || names["SequentialExecutor::Execute"] != 2 {
		t.Errorf("session events %v; want the initialisation kept and one executor span per remaining run", names)
	}
	if s := Summarize(SkipRuns(events, 5)); s.Kernels != 0 || s.Runs != 0 || len(s.Session) != 2 {
		t.Errorf("without every run: %+v; want only the two initialisation events", s)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }

func TestSummarizeFiles(t *testing.T) {
	s, err := SummarizeFiles(mlpProfile, tinyProfile, mlpProfile)
	if err != nil {
		t.Fatal(err)
	}
	if s.Kernels != 9+8+9 || s.Runs != 3+1+3 {
		t.Errorf("kernels %d, runs %d; want 26 and 7", s.Kernels, s.Runs)
	}
	checkShares(t, s)
	for _, st := range s.Nodes {
		if st.Name == "patch_embed/Conv_0" && (st.Op != "Conv" || st.Calls != 1 || st.TotalUS != 76) {
			t.Errorf("node %+v, want one Conv of 76 µs", st)
		}
	}
	if _, err := SummarizeFiles(mlpProfile, filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("a missing file: error %v, want one naming it", err)
	}
}

// checkShares checks that the shares of ops and of nodes add up to one
// and the calls to the kernel events.
func checkShares(t *testing.T, s Summary) {
	t.Helper()
	for what, stats := range map[string][]Stat{"ops": s.Ops, "nodes": s.Nodes} {
		share, calls := 0.0, 0
		for _, st := range stats {
			share += st.Share
			calls += st.Calls
		}
		if s.KernelUS > 0 && math.Abs(share-1) > 1e-9 {
			t.Errorf("%s: shares add up to %g, want 1", what, share)
		}
		if calls != s.Kernels {
			t.Errorf("%s: %d calls, want the %d kernel events", what, calls, s.Kernels)
		}
	}
}

func TestTables(t *testing.T) {
	events, err := ReadFile(mlpProfile)
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize(events)
	var b bytes.Buffer
	if err := s.OpsTable(&b, 0); err != nil {
		t.Fatal(err)
	}
	want := `| op | calls | total (ms) | per run (ms) | share | mean (µs) |
|---|---:|---:|---:|---:|---:|
| MatMul | 3 | 0.099 | 0.033 | 78.0% | 33.0 |
| Add | 3 | 0.018 | 0.006 | 14.2% | 6.0 |
| Relu | 3 | 0.010 | 0.003 | 7.9% | 3.3 |
`
	if b.String() != want {
		t.Errorf("ops table:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := s.NodesTable(&b, 1); err != nil {
		t.Fatal(err)
	}
	want = `| node | op | calls | total (ms) | per run (ms) | share | mean (µs) |
|---|---|---:|---:|---:|---:|---:|
| matmul | MatMul | 3 | 0.099 | 0.033 | 78.0% | 33.0 |
| (2 others) |  | 6 | 0.028 | 0.009 | 22.0% | 4.7 |
`
	if b.String() != want {
		t.Errorf("nodes table, top 1:\n%s\nwant:\n%s", b.String(), want)
	}
	// One op left over gets its own row rather than "(1 others)".
	b.Reset()
	if err := s.OpsTable(&b, 2); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "others") || strings.Count(b.String(), "\n") != 5 {
		t.Errorf("top 2 of 3 ops:\n%s\nwant every op on its own row", b.String())
	}
}

func TestCell(t *testing.T) {
	for in, want := range map[string]string{
		"a|b":     `a\|b`,
		"x\ny\tz": "x y z",
		"":        "(unnamed)",
		" \n ":    "(unnamed)",
		"plain":   "plain",
	} {
		if got := cell(in); got != want {
			t.Errorf("cell(%q) = %q, want %q", in, got, want)
		}
	}
	s := Summarize([]Event{{Category: CategoryNode, Name: "a|b" + KernelSuffix, Op: "Weird|Op", Dur: 1}})
	var b bytes.Buffer
	if err := s.NodesTable(&b, 0); err != nil {
		t.Fatal(err)
	}
	if rows := strings.Split(strings.TrimSpace(b.String()), "\n"); len(rows) != 3 || strings.Count(rows[2], "|")-strings.Count(rows[2], `\|`) != 8 {
		t.Errorf("a row with pipes in its names breaks the table:\n%s", b.String())
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ in, msg string }{
		{"", "profile is empty"},
		{"   \n", "profile is empty"},
		{"{}", "not a JSON array of events: it starts with \"{\""},
		{`"x"`, `starts with the string "x"`},
		{"5", "starts with 5"},
		{"nul", "not JSON"},
		{"[", "cut short"},
		{`[{"cat":"Node"},`, "event 1"},
		{`[{"cat":"Node"}`, "cut short"},
		{`[{"cat":"Node"}}`, "broken"},
		{`[{"cat":"Node"} {"cat":"Node"}]`, "event 1"},
		{"[5]", "event 0: got a JSON number, want an object"},
		{"[null]", "event 0: got null, want an object"},
		{`[{}, []]`, "event 1: got a JSON array, want an object"},
		{`[{"cat": 5}]`, "field cat is a JSON number, want a string"},
		{`[{"name": ["x"]}]`, "field name is a JSON array"},
		{`[{"dur": "7"}]`, "field dur is a JSON string, want a float64"},
		{`[{"args": 3}]`, "field args is a JSON number"},
		{`[{"args": {"op_name": 3}}]`, "field args.op_name is a JSON number"},
		{`[{"name":"x","dur": -1}]`, `"x": dur -1 µs is out of range`},
		{`[{"dur": 1e13}]`, "dur 1e+13 µs is out of range"},
		{`[{"ts": -5}]`, "ts -5 µs is out of range"},
		{`[{"dur": 1e999}]`, "event 0"},
		{`[{"cat":"Node","name":"n_kernel_time","args":{"op_name":"Add"}}]`, `"n_kernel_time": a kernel time without dur`},
		{`[{"cat":"Node","name":"n_kernel_time","dur":3}]`, "without args.op_name"},
		{`[{"cat":"Node","name":"n_kernel_time","dur":3,"args":{"op_name":""}}]`, "without args.op_name"},
		{`[] []`, `after the event array: unexpected "["`},
		{`[] x`, "after the event array"},
		{`[{"cat":"Session"}] ]`, "after the event array"},
	} {
		events, err := Parse([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Parse(%q) = %d events, error %v; want an error with %q", c.in, len(events), err, c.msg)
		}
	}
}

func TestParseLenient(t *testing.T) {
	// Unknown fields and categories, fence events, an empty array and
	// trailing white space are all fine.
	events, err := Parse([]byte(`[
{"cat":"Node","name":"a_fence_before","dur":0,"args":{"op_name":"Add"}},
{"cat":"Node","name":"a_kernel_time","dur":4,"ph":"X","pid":1,"args":{"op_name":"Add","output_type_shape":[{"float":[1]}],"extra":{"x":[1,2]}}},
{"cat":"Api","name":"other","dur":9,"extra":true}
]
`))
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize(events)
	if len(events) != 3 || s.Kernels != 1 || s.KernelUS != 4 || len(s.Session) != 0 {
		t.Errorf("%d events, summary %+v; want 3 events, one kernel of 4 µs and no session events", len(events), s)
	}
	if events, err := Parse([]byte("[]")); err != nil || len(events) != 0 {
		t.Errorf("Parse([]) = %v, %v; want no events", events, err)
	}
	if s := Summarize(nil); s.Kernels != 0 || len(s.Ops) != 0 {
		t.Errorf("Summarize(nil) = %+v", s)
	}
}

// FuzzParse feeds Parse anything: it must not panic, and whatever it
// accepts must summarise into shares that add up and tables that render.
func FuzzParse(f *testing.F) {
	for _, path := range []string{mlpProfile, tinyProfile} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"", "[]", "[", "{}", "[null]", "[5]",
		`[{"cat":"Node","name":"n_kernel_time","dur":3,"args":{"op_name":"Add","provider":"CPU"}}]`,
		`[{"cat":"Node","name":"n_kernel_time","dur":1e12,"args":{"op_name":"A|B"}},{"cat":"Node","name":"n_kernel_time","dur":0,"args":{"op_name":"A|B"}}]`,
		`[{"cat":"Session","name":"model_run","dur":10,"ts":1}]`,
		`[{"cat":"Node","name":"_kernel_time","dur":-0,"args":{"op_name":"\u0000"}}] `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		events, err := Parse(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		checkShares(t, Summarize(SkipRuns(events, 1)))
		s := Summarize(events)
		if math.IsNaN(s.KernelUS) || math.IsInf(s.KernelUS, 0) || s.KernelUS < 0 {
			t.Fatalf("kernel time %g", s.KernelUS)
		}
		checkShares(t, s)
		var b bytes.Buffer
		if err := s.OpsTable(&b, 3); err != nil {
			t.Fatal(err)
		}
		if err := s.NodesTable(&b, 0); err != nil {
			t.Fatal(err)
		}
	})
}
