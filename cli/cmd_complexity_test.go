package cli

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/asvit/asvit/export"
)

// complexityJSON runs asvit complexity --json with the small measure flags
// and args, and returns the report.
func complexityJSON(t *testing.T, args ...string) complexityReport {
	t.Helper()
	args = append([]string{"complexity", "--json", "--batch", "4", "--curve", "4", "--repeat", "1"}, args...)
	code, out, errOut := runApp(t, context.Background(), args...)
	if code != ExitOK {
		t.Fatalf("asvit %q: exit %d: %s", args, code, errOut)
	}
	var rep complexityReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("asvit %q: %v\n%s", args, err, out)
	}
	return rep
}

// A gray 32 px model with 10 classes is measured from its metadata alone,
// and the same values given on the command line are accepted.
func TestComplexityReadsWeightsMetadata(t *testing.T) {
	initORT(t)
	model := exportSeed(t, t.TempDir(), 32, 10, func(o *exportOptions) { o.Channels = 1 })
	info := infoOf(t, infoOptions{Arch: seedArch, Image: 32, Classes: 10, Channels: 1})
	rep := complexityJSON(t, "--weights", model)
	if rep.Arch != seedArch || rep.Image != 32 || rep.Channels != 1 || rep.Params != info.Params {
		t.Errorf("from the metadata: arch %s, image %d, channels %d, params %d; want %s, 32, 1, %d",
			rep.Arch, rep.Image, rep.Channels, rep.Params, seedArch, info.Params)
	}
	scaled := "8,2,3,1|4,1,2,1|4,1,4,1|4,1,6,1|32,32" // the seed in the scaled form
	again := complexityJSON(t, scaled, "--weights", model, "--img", "32", "--channels", "1")
	if again.NTKCond != rep.NTKCond || again.LengthDistortion != rep.LengthDistortion {
		t.Errorf("with matching flags: κ %v, L^E %v; from the metadata alone %v, %v",
			again.NTKCond, again.LengthDistortion, rep.NTKCond, rep.LengthDistortion)
	}
}

// A model without metadata takes its topology, size and channels from the
// command line.
func TestComplexityWeightsWithoutMetadata(t *testing.T) {
	initORT(t)
	dir := t.TempDir()
	_, m, err := readModel(exportSeed(t, dir, 32, 10, func(o *exportOptions) { o.Channels = 1 }))
	if err != nil {
		t.Fatal(err)
	}
	m.MetadataProps = nil
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	bare := filepath.Join(dir, "bare.onnx")
	if err := os.WriteFile(bare, b, 0o644); err != nil {
		t.Fatal(err)
	}
	rep := complexityJSON(t, "--arch", seedArch, "--weights", bare, "--img", "32", "--channels", "1")
	if rep.Image != 32 || rep.Channels != 1 {
		t.Errorf("image %d, channels %d; want the flags' 32, 1", rep.Image, rep.Channels)
	}
	code, _, stderr := runApp(t, context.Background(), "complexity", "--weights", bare, "--img", "32")
	if code != ExitUsage || !strings.Contains(stderr, "missing ARCH") {
		t.Errorf("no ARCH and no metadata: exit %d, stderr %q; want %d, missing ARCH", code, stderr, ExitUsage)
	}
}

// A flag that disagrees with the model's metadata is a usage error naming
// both values.
func TestComplexityFlagsDisagreeWithMetadata(t *testing.T) {
	model := exportSeed(t, t.TempDir(), 32, 10, func(o *exportOptions) { o.Channels = 1 })
	other := "4,4,3|4,4,4|4,2,6|4,1,3|32"
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{other}, []string{other, seedArch, export.KeyArch}},
		{[]string{"--arch", other}, []string{other, seedArch, export.KeyArch}},
		{[]string{"--img", "64"}, []string{"--img 64", "32", export.KeyImage}},
		{[]string{"--channels", "3"}, []string{"--channels 3", "1", export.KeyChannels}},
	} {
		args := append([]string{"complexity", "--weights", model}, c.args...)
		code, _, stderr := runApp(t, context.Background(), args...)
		if code != ExitUsage {
			t.Errorf("asvit %q: exit %d, want %d; stderr %q", args, code, ExitUsage, stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("asvit %q: stderr %q lacks %q", args, stderr, w)
			}
		}
	}
}

// --chunk changes how the measures run, not what they are: passes of one
// image and one curve point give κ and L^E within float32 rounding of one
// pass, and a negative value is a usage error.
func TestComplexityChunkFlag(t *testing.T) {
	initORT(t)
	one := complexityJSON(t, seedArch, "--img", "32")
	passes := complexityJSON(t, seedArch, "--img", "32", "--chunk", "1")
	k, k1 := float64(passes.NTKCond), float64(one.NTKCond)
	l, l1 := float64(passes.LengthDistortion), float64(one.LengthDistortion)
	if !(math.Abs(k-k1) <= 1e-4*k1) || !(math.Abs(l-l1) <= 1e-5*l1) {
		t.Errorf("--chunk 1: κ %v, L^E %v; in one pass %v, %v", passes.NTKCond, passes.LengthDistortion, one.NTKCond, one.LengthDistortion)
	}
	code, _, stderr := runApp(t, context.Background(), "complexity", seedArch, "--img", "32", "--chunk", "-1")
	if code != ExitUsage || !strings.Contains(stderr, "chunk -1 is out of range") {
		t.Errorf("--chunk -1: exit %d, stderr %q; want a usage error naming the chunk", code, stderr)
	}
}
