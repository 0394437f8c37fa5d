package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func infoOf(t *testing.T, opts infoOptions) infoJSON {
	t.Helper()
	opts.JSON = true
	var out bytes.Buffer
	if err := runInfo(context.Background(), opts, &out); err != nil {
		t.Fatalf("info %+v: %v", opts, err)
	}
	var info infoJSON
	if err := json.Unmarshal(out.Bytes(), &info); err != nil {
		t.Fatalf("info --json output does not parse: %v\n%s", err, out.String())
	}
	return info
}

// TestInfoSeed checks the seed's counts against the figures of the authors'
// counter and its geometry against the topology's definition.
func TestInfoSeed(t *testing.T) {
	info := infoOf(t, infoOptions{Arch: seedArch, Image: 224, Classes: 1000, Channels: 3})
	if info.Arch != seedArch || info.Params != 2319624 || info.MACs != 491595264 || info.FLOPs != 2*491595264 {
		t.Errorf("seed at 224 px: arch %q, params %d, macs %d, flops %d; want %q, 2319624, 491595264, 983190528",
			info.Arch, info.Params, info.MACs, info.FLOPs, seedArch)
	}
	// Stage i: resolution 56/2^i, width 32·2^i, heads 32/2^(3-i), window res/S_i.
	want := []struct{ res, dim, heads, window, perSide int }{
		{56, 32, 4, 28, 2}, {28, 64, 8, 28, 1}, {14, 128, 16, 14, 1}, {7, 256, 32, 7, 1},
	}
	if len(info.Stages) != len(want) {
		t.Fatalf("%d stages, want %d", len(info.Stages), len(want))
	}
	params, macs := info.Head.Params, info.Head.MACs
	for i, w := range want {
		s := info.Stages[i]
		if s.Stage != i+1 || s.Res != w.res || s.Tokens != w.res*w.res || s.Dim != w.dim || s.Heads != w.heads ||
			s.Window != w.window || s.WindowsPerSide != w.perSide || s.Windows != w.perSide*w.perSide || s.Blocks != 1 {
			t.Errorf("stage %d: %+v, want %+v", i+1, s, w)
		}
		if s.Params != s.Embed.Params+s.Attention.Params+s.FFN.Params || s.MACs != s.Embed.MACs+s.Attention.MACs+s.FFN.MACs {
			t.Errorf("stage %d: totals %d params, %d MACs are not the sums of its parts %+v", i+1, s.Params, s.MACs, s)
		}
		params, macs = params+s.Params, macs+s.MACs
	}
	if params != info.Params || macs != info.MACs {
		t.Errorf("stages and head sum to %d params, %d MACs; the totals are %d, %d", params, macs, info.Params, info.MACs)
	}
}

// TestInfoChannels checks that a gray input removes exactly two input
// planes of the 8×8 patch convolution: 2·32·8·8 weights, and as many MACs
// at each of the 56×56 outputs divided by the 32 output channels.
func TestInfoChannels(t *testing.T) {
	rgb := infoOf(t, infoOptions{Arch: seedArch, Image: 224, Classes: 1000, Channels: 3})
	gray := infoOf(t, infoOptions{Arch: seedArch, Image: 224, Classes: 1000, Channels: 1})
	if d := rgb.Params - gray.Params; d != 2*32*8*8 {
		t.Errorf("3 − 1 channels: %d params, want %d", d, 2*32*8*8)
	}
	if d := rgb.MACs - gray.MACs; d != 56*56*32*2*8*8 {
		t.Errorf("3 − 1 channels: %d MACs, want %d", d, 56*56*32*2*8*8)
	}
}

func TestInfoText(t *testing.T) {
	var out bytes.Buffer
	if err := runInfo(context.Background(), infoOptions{Arch: seedArch, Image: 224, Classes: 1000, Channels: 3}, &out); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"2,319,624", "491,595,264", "983,190,528", "2 × MACs", "56×56", "2×2", "head"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("info output lacks %q:\n%s", s, out.String())
		}
	}
	if lines := strings.Count(out.String(), "\n"); lines != 12 {
		t.Errorf("info output has %d lines, want 5 summary, 1 blank, header, 4 stages and head:\n%s", lines, out.String())
	}
}

// TestInfoThroughApp checks that flags may follow ARCH and that the JSON
// output is one object.
func TestInfoThroughApp(t *testing.T) {
	code, stdout, stderr := runApp(t, context.Background(), "info", seedArch, "--img", "64", "--json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var info infoJSON
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(&info); err != nil || dec.More() {
		t.Fatalf("output is not one JSON object (%v):\n%s", err, stdout)
	}
	if info.Image != 64 || info.Stages[0].Res != 16 {
		t.Errorf("--img 64 gave image %d, stage-1 resolution %d; want 64, 16", info.Image, info.Stages[0].Res)
	}
}

// TestInfoArchFlag checks that --arch names the topology as ARCH does, and
// that both may be given when they name the same one.
func TestInfoArchFlag(t *testing.T) {
	scaled := "8,2,3,1|4,1,2,1|4,1,4,1|4,1,6,1|32,32" // the seed in the scaled form
	for _, args := range [][]string{{"--arch", seedArch}, {seedArch, "--arch", seedArch}, {scaled, "--arch", seedArch}} {
		code, stdout, stderr := runApp(t, context.Background(), append([]string{"info", "--json"}, args...)...)
		if code != ExitOK {
			t.Fatalf("asvit info %q: exit %d: %s", args, code, stderr)
		}
		var info infoJSON
		if err := json.Unmarshal([]byte(stdout), &info); err != nil || info.Arch != seedArch {
			t.Errorf("asvit info %q: arch %q (%v), want %s", args, info.Arch, err, seedArch)
		}
	}
}
