package ort

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		opts    Options
		wantErr string // "" for valid
	}{
		{Options{}, ""},
		{Options{Threads: 3, OptLevel: OptDisable, Device: CPU}, ""},
		{Options{Device: CUDA, CUDADevice: 2}, ""},
		{Options{Threads: -1}, "threads -1 is negative"},
		{Options{OptLevel: OptLevel(9)}, "optimisation level 9 is unknown; allowed: all, extended, basic, disable"},
		{Options{Device: "tpu"}, `device "tpu" is unknown; allowed: cpu, cuda`},
		{Options{CUDADevice: 1}, "cuda device 1 given with device cpu"},
		{Options{Device: CUDA, CUDADevice: -1}, "cuda device -1 is negative"},
		{Options{Profile: "out/prof"}, ""},
		{Options{Profile: "out/"}, `profile prefix "out/" ends in a directory`},
	}
	for _, tc := range tests {
		err := tc.opts.Validate()
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%+v: unexpected error %v", tc.opts, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%+v: error %v, want one containing %q", tc.opts, err, tc.wantErr)
		}
	}
}

func TestOptionsThreads(t *testing.T) {
	if got := (Options{}).ThreadCount(); got != runtime.NumCPU() {
		t.Errorf("default threads = %d, want runtime.NumCPU() = %d", got, runtime.NumCPU())
	}
	if got := (Options{Threads: 3}).ThreadCount(); got != 3 {
		t.Errorf("threads = %d, want 3", got)
	}
}

func TestParseDevice(t *testing.T) {
	tests := []struct {
		in      string
		dev     Device
		ordinal int
		ok      bool
	}{
		{"cpu", CPU, 0, true},
		{" cuda ", CUDA, 0, true},
		{"cuda:0", CUDA, 0, true},
		{"cuda:3", CUDA, 3, true},
		{"cuda:", "", 0, false},
		{"cuda:-1", "", 0, false},
		{"cuda:x", "", 0, false},
		{"cpu:0", "", 0, false},
		{"gpu", "", 0, false},
		{"", "", 0, false},
	}
	for _, tc := range tests {
		dev, ordinal, err := ParseDevice(tc.in)
		if (err == nil) != tc.ok || dev != tc.dev || ordinal != tc.ordinal {
			t.Errorf("ParseDevice(%q) = %q, %d, %v; want %q, %d, ok=%t", tc.in, dev, ordinal, err, tc.dev, tc.ordinal, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "cuda:N") {
			t.Errorf("ParseDevice(%q) error %q does not say what is allowed", tc.in, err)
		}
	}
}

// FuzzParseDevice checks that every accepted string gives valid options and
// that the canonical form parses back to the same device.
func FuzzParseDevice(f *testing.F) {
	for _, s := range []string{"cpu", "cuda", "cuda:1", "cuda:+2", "cuda:99999999999999999999", "cpu:", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		dev, ordinal, err := ParseDevice(s)
		if err != nil {
			return
		}
		if verr := (Options{Device: dev, CUDADevice: ordinal}).Validate(); verr != nil {
			t.Fatalf("ParseDevice(%q) gave invalid options: %v", s, verr)
		}
		canonical := string(dev)
		if dev == CUDA {
			canonical = fmt.Sprintf("cuda:%d", ordinal)
		}
		dev2, ordinal2, err := ParseDevice(canonical)
		if err != nil || dev2 != dev || ordinal2 != ordinal {
			t.Fatalf("ParseDevice(%q) = %q, %d; its canonical form %q gives %q, %d, %v", s, dev, ordinal, canonical, dev2, ordinal2, err)
		}
	})
}

func TestParseOptLevel(t *testing.T) {
	for _, l := range []OptLevel{OptAll, OptExtended, OptBasic, OptDisable} {
		got, err := ParseOptLevel(l.String())
		if err != nil || got != l {
			t.Errorf("ParseOptLevel(%q) = %v, %v; want %v", l.String(), got, err, l)
		}
	}
	if OptLevel(0) != OptAll {
		t.Error("the zero OptLevel must be OptAll")
	}
	if _, err := ParseOptLevel("max"); err == nil || !strings.Contains(err.Error(), "all, extended, basic, disable") {
		t.Errorf(`ParseOptLevel("max") error %v does not list the allowed levels`, err)
	}
}
