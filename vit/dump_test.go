package vit

import (
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden graph dumps in testdata")

// The text dump of a small graph is pinned, so any change to the ops the
// network emits shows up in review as a diff of testdata/*.graph.golden.
func TestGraphDumpGolden(t *testing.T) {
	cases := []struct {
		file, arch string
		opts       ForwardOptions
	}{
		{"testdata/seed_32_features.graph.golden", "8,2,3|4,1,2|4,1,4|4,1,6|32", ForwardOptions{Output: Features}},
		{"testdata/windows_64_logits_nonorm.graph.golden", "5,4,2|3,2,3|2,1,4|4,1,5|16", ForwardOptions{Output: Logits, NoNorms: true}},
	}
	for _, c := range cases {
		image := 32
		if c.opts.NoNorms {
			image = 64
		}
		m := mustModel(t, c.arch, image, 10)
		g, err := m.Graph(GraphConfig{Batch: 2, ForwardOptions: c.opts})
		if err != nil {
			t.Fatal(err)
		}
		got := g.Dump()
		if *update {
			if err := os.WriteFile(c.file, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatalf("%v (run go test ./vit -run GraphDumpGolden -update to create it)", err)
		}
		if got != string(want) {
			t.Errorf("%s: the graph dump changed; review it and rerun with -update if intended", c.file)
		}
	}
}
