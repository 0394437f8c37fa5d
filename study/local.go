package study

import (
	"context"
	"fmt"
	"time"

	"github.com/asvit/asvit/complexity"
	"github.com/asvit/asvit/data"
	"github.com/asvit/asvit/proxies"
	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/train"
	"github.com/asvit/asvit/vit"
)

// Local measures and trains on this machine: κ and L^E with package
// complexity, the other proxies with package proxies, training with
// package train.
type Local struct {
	cfg      Config
	classes  int
	probe    *complexity.Probe
	measurer *complexity.Measurer
}

// NewLocal reads cfg.Data for its classes and channels and draws the probe
// batch every proxy sees (complexity.NewProbe, from cfg.Seed).
func NewLocal(cfg Config) (*Local, error) {
	ds, err := openData(cfg.Data)
	if err != nil {
		return nil, err
	}
	if cfg.Channels == 0 {
		cfg.Channels = ds.Channels()
	}
	s := complexity.DefaultSettings()
	s.Image, s.Channels, s.Batch, s.CurvePoints, s.Repeat = cfg.Image, cfg.Channels, cfg.ProbeBatch, cfg.CurvePoints, cfg.Repeat
	s.Seed, s.Classes, s.CacheSize = cfg.Seed, len(ds.Classes), 0
	s.ORT.Threads, s.ORT.Device, s.ORT.CUDADevice = cfg.ORT.Threads, cfg.ORT.Device, cfg.ORT.CUDADevice
	probe, err := complexity.NewProbe(s, complexity.ProbeSource{Data: cfg.Data})
	if err != nil {
		return nil, err
	}
	m, err := complexity.NewMeasurer(s, probe)
	if err != nil {
		return nil, err
	}
	return &Local{cfg: cfg, classes: len(ds.Classes), probe: probe, measurer: m}, nil
}

func openData(dir string) (*data.Dataset, error) {
	if dir == "" {
		return data.OpenSample(data.OpenOptions{})
	}
	ds, err := data.Open(dir, data.OpenOptions{})
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return ds, nil
}

// Close releases the measurer's sessions.
func (l *Local) Close() { l.measurer.Close() }

// Measure computes c's counts, κ and L^E (averaged over the repeats), and
// the other proxies on the weights of κ's first repeat.
func (l *Local) Measure(ctx context.Context, c Candidate) (Measures, error) {
	top, err := vit.Parse(c.Arch)
	if err != nil {
		return Measures{}, err
	}
	m, err := model(top, l.cfg, l.classes)
	if err != nil {
		return Measures{}, err
	}
	t0 := time.Now()
	r, err := l.measurer.Measure(ctx, top)
	if err != nil {
		return Measures{}, fmt.Errorf("%s: %w", c.Arch, err)
	}
	out := Measures{
		Params: m.Params(), FLOPs: m.FLOPs(),
		NTKCond: runs.Float(r.NTKCond), LengthDistortion: runs.Float(r.LengthDistortion), Bad: r.Bad,
		ComplexitySeconds: time.Since(t0).Seconds(),
	}
	in := proxies.Input{Images: l.probe.Images, Labels: l.probe.Labels, N: l.cfg.ProbeBatch}
	s, err := proxies.Measure(ctx, m, m.Init(complexity.WeightSeed(l.cfg.Seed, top, 0)), in, l.cfg.ORT)
	if err != nil {
		return Measures{}, fmt.Errorf("%s: %w", c.Arch, err)
	}
	out.GradNorm, out.SNIP, out.Synflow = runs.Float(s.GradNorm), runs.Float(s.SNIP), runs.Float(s.Synflow)
	out.NASWOT, out.DSS, out.ProxySeconds = runs.Float(s.NASWOT), runs.Float(s.DSS), s.Seconds
	return out, nil
}

// Train trains c with seed in dir, continuing a run found there.
func (l *Local) Train(ctx context.Context, c Candidate, seed uint64, dir string, threads int) (Trained, error) {
	tc := l.cfg.trainConfig(c.Arch, seed, dir, threads)
	var err error
	if tc.Resume, err = runs.Started(dir); err != nil {
		return Trained{}, err
	}
	res, err := train.Run(ctx, tc, nil)
	if err != nil {
		return Trained{}, fmt.Errorf("train %s (seed %d): %w", c.Arch, seed, err)
	}
	return Trained{
		Seed: seed, BestEpoch: res.BestEpoch, ValAcc: runs.Float(res.ValAcc), TestAcc: runs.Float(res.TestAcc),
		Seconds: res.TrainSeconds, ImagesPerS: res.TrainImagesPerS,
	}, nil
}
