package complexity

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/asvit/asvit/vit"
)

func TestChunkBounds(t *testing.T) {
	for _, c := range []struct {
		n, rows int
		want    []int
	}{
		{16, 16, []int{0, 16}},
		{16, 100, []int{0, 16}},
		{16, 4, []int{0, 4, 8, 12, 16}},
		{16, 5, []int{0, 4, 8, 12, 16}},
		{10, 4, []int{0, 3, 6, 10}},
		{3, 1, []int{0, 1, 2, 3}},
	} {
		if got := chunkBounds(c.n, c.rows); !slices.Equal(got, c.want) {
			t.Errorf("chunkBounds(%d, %d) = %v, want %v", c.n, c.rows, got, c.want)
		}
	}
}

// TestChunkRowsFollowTheActivations: up to 112 px the seed's batch of 16
// takes one pass; at 224 px its stage-1 attention makes an image's forward
// values about 180 MiB, so a pass takes a few images; Settings.Chunk wins.
func TestChunkRowsFollowTheActivations(t *testing.T) {
	rows := func(image, chunk int) int {
		m, err := vit.New(vit.NewSpec(parse(t, seedTopology), image, DefaultClasses))
		if err != nil {
			t.Fatal(err)
		}
		s := DefaultSettings()
		s.Image, s.Chunk = image, chunk
		r, err := PassRows(m, s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, image := range []int{32, 64, 112} {
		if r := rows(image, 0); r < DefaultBatch {
			t.Errorf("%d px: %d rows a pass, want the whole batch of %d", image, r, DefaultBatch)
		}
	}
	if r := rows(224, 0); r < 2 || r > 8 {
		t.Errorf("224 px: %d rows a pass, want 2..8", r)
	}
	if r := rows(224, 16); r != 16 {
		t.Errorf("224 px with Chunk 16: %d rows a pass", r)
	}
}

// TestChunkedMeasuresMatch measures the same topologies with the batch and
// the curve in one pass and in passes of 3, 2 and 1 rows. Every pass runs
// the same float32 ops on its own rows; only the batched matrix products'
// blocking changes, so κ and L^E agree to float32 rounding (about 1e-6 is
// seen for κ).
func TestChunkedMeasuresMatch(t *testing.T) {
	s := smallSettings()
	s.Batch, s.CurvePoints, s.Repeat = 6, 5, 1
	s.Chunk = s.Batch
	one := newMeasurer(t, s)
	for _, chunk := range []int{3, 2, 1} {
		s.Chunk = chunk
		passes := newMeasurer(t, s)
		for _, top := range smallTopologies(2, 12) {
			a, b := measure(t, one, top), measure(t, passes, top)
			if a.Bad || b.Bad {
				t.Fatalf("%s: bad network (one pass %v, passes of %d %v)", top, a.Bad, chunk, b.Bad)
			}
			if e := relErr(b.NTKCond, a.NTKCond); e > 1e-4 {
				t.Errorf("%s, passes of %d: κ %v, in one pass %v (relative error %.2g > 1e-4)", top, chunk, b.NTKCond, a.NTKCond, e)
			}
			if e := relErr(b.LengthDistortion, a.LengthDistortion); e > 1e-5 {
				t.Errorf("%s, passes of %d: L^E %v, in one pass %v (relative error %.2g > 1e-5)", top, chunk, b.LengthDistortion, a.LengthDistortion, e)
			}
		}
	}
}

// peakChildEnv makes TestPassesBoundPeakMemory's child measure once with
// the settings it names ("BATCH,CHUNK") and print its peak resident set.
const peakChildEnv = "ASVIT_TEST_PEAK_CHILD"

// binaryMalloc gives glibc the settings the asvit binary sets for itself.
const binaryMalloc = "GLIBC_TUNABLES=glibc.malloc.arena_max=1:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=18446744073709551615"

// TestPassesBoundPeakMemory measures the seed at 224 px in child processes
// and reads their peak resident sets (VmHWM): a batch of 6 in passes of 2
// must peak near a batch of 2 in one pass, far below a batch of 6 in one
// pass. An image's forward values (about 180 MiB here, stage 1's attention)
// are kept for the backward sweep; in passes they are freed pass by pass,
// and a pass keeps only its per-sample gradients (8 MiB an image) to the
// end. Measured: about 1,210, 630 and 535 MiB.
//
// The children run with the asvit binary's allocator settings (one arena,
// nothing returned to the system; see cli/asvit/malloc.go): under glibc's
// defaults every ONNX Runtime thread allocates from an arena of its own, so
// memory one pass frees is not always reused by the next.
func TestPassesBoundPeakMemory(t *testing.T) {
	if spec := os.Getenv(peakChildEnv); spec != "" {
		peakChild(t, spec)
		return
	}
	if testing.Short() {
		t.Skip("starts three processes")
	}
	peak := func(batch, chunk int) int64 {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestPassesBoundPeakMemory$", "-test.v")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d,%d", peakChildEnv, batch, chunk), binaryMalloc)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child %d,%d: %v\n%s", batch, chunk, err, out)
		}
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "peak_bytes "); ok {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
		}
		t.Fatalf("child %d,%d printed no peak:\n%s", batch, chunk, out)
		return 0
	}
	onePass, passes, small := peak(6, 6), peak(6, 2), peak(2, 2)
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	t.Logf("peak resident set: batch 6 in one pass %.0f MiB, in passes of 2 %.0f MiB, batch 2 %.0f MiB", mib(onePass), mib(passes), mib(small))
	if passes-small > (onePass-small)/4 {
		t.Errorf("passes of 2 over a batch of 6 peak at %.0f MiB: more than a quarter of the way from a batch of 2 (%.0f MiB) to one pass of 6 (%.0f MiB)",
			mib(passes), mib(small), mib(onePass))
	}
}

func peakChild(t *testing.T, spec string) {
	var batch, chunk int
	if _, err := fmt.Sscanf(spec, "%d,%d", &batch, &chunk); err != nil {
		t.Fatalf("%s=%q: %v", peakChildEnv, spec, err)
	}
	s := DefaultSettings()
	s.Image, s.Batch, s.CurvePoints, s.Repeat, s.CacheSize, s.Chunk = 224, batch, 1, 1, 0, chunk
	measure(t, newMeasurer(t, s), parse(t, seedTopology))
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Printf("peak_bytes %d\n", kib<<10)
			return
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
}
