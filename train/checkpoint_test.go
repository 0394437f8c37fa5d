package train

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func sampleCheckpoint() *Checkpoint {
	return &Checkpoint{
		CheckpointHeader: CheckpointHeader{
			Arch: tinyArch, Stride: 8, Dilation: 2, Step: 17, Epoch: 2, EpochStep: 5,
			Running:    EpochSums{Loss: 1.5, Correct: 9, Images: 20, Seconds: 0.25},
			BestValAcc: 0.75, BestEpoch: 2, TrainSeconds: 3.5,
			Tensors: []TensorInfo{{"a", []int{2, 3}}, {"adam_m/a", []int{2, 3}}, {"b", []int{1}}},
		},
		Data: [][]float32{
			{1, -2, 3.5, float32(math.Inf(1)), float32(math.Copysign(0, -1)), 1e-40},
			{0, 0, 0, 0, 0, 0},
			{42},
		},
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ckpt")
	want := sampleCheckpoint()
	if err := WriteCheckpoint(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.CheckpointHeader, want.CheckpointHeader) {
		t.Errorf("header %+v, want %+v", got.CheckpointHeader, want.CheckpointHeader)
	}
	for i := range want.Data {
		for j := range want.Data[i] {
			if math.Float32bits(got.Data[i][j]) != math.Float32bits(want.Data[i][j]) {
				t.Errorf("tensor %d value %d: %v, want %v", i, j, got.Data[i][j], want.Data[i][j])
			}
		}
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".ckpt.tmp*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestCheckpointRejectsDamage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt")
	if err := WriteCheckpoint(path, sampleCheckpoint()); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	flip := bytes.Clone(good)
	flip[len(flip)-10] ^= 1
	version := bytes.Clone(good)
	version[8] = 9
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"truncated", good[:len(good)-7], "corrupt"},
		{"bit flip", flip, "checksum"},
		{"empty", nil, "truncated"},
		{"magic", append([]byte("NOTACKPT"), good[8:]...), "not an asvit checkpoint"},
		{"version", version, "version 9"},
	}
	for _, c := range cases {
		p := filepath.Join(dir, c.name)
		if err := os.WriteFile(p, c.b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadCheckpoint(p)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", c.name, err, c.want)
		}
		if c.name == "truncated" && !errors.Is(err, ErrCorruptCheckpoint) {
			t.Errorf("truncated: %v does not wrap ErrCorruptCheckpoint", err)
		}
	}
	bad := sampleCheckpoint()
	bad.Data[2] = []float32{1, 2}
	if err := WriteCheckpoint(filepath.Join(dir, "bad"), bad); err == nil {
		t.Error("a tensor of the wrong size was written")
	}
}

// FuzzReadCheckpoint feeds arbitrary bytes to the reader: it must never
// panic, and what it accepts must survive being written and read again.
func FuzzReadCheckpoint(f *testing.F) {
	dir := f.TempDir()
	seed := filepath.Join(dir, "seed")
	if err := WriteCheckpoint(seed, sampleCheckpoint()); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(seed)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:40])
	f.Add([]byte(checkpointMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "in")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := ReadCheckpoint(p)
		if err != nil {
			return
		}
		out := filepath.Join(t.TempDir(), "out")
		if err := WriteCheckpoint(out, c); err != nil {
			t.Fatalf("accepted checkpoint cannot be written back: %v", err)
		}
		again, err := ReadCheckpoint(out)
		if err != nil || !reflect.DeepEqual(again.CheckpointHeader, c.CheckpointHeader) {
			t.Fatalf("rewritten checkpoint reads as %+v, %v", again, err)
		}
	})
}

func BenchmarkWriteCheckpoint(b *testing.B) {
	m := newModel(b, seedArch, 32, 1, 10, 4)
	c := &Checkpoint{}
	for _, p := range m.ParamTable() {
		c.Tensors = append(c.Tensors, TensorInfo{p.Name, p.Shape})
	}
	c.Data = m.Init(1)
	path := filepath.Join(b.TempDir(), "ckpt")
	for b.Loop() {
		if err := WriteCheckpoint(path, c); err != nil {
			b.Fatal(err)
		}
	}
}
