package train

import (
	"math"
	"strings"
	"testing"
)

func TestConfigCheckNamesTheField(t *testing.T) {
	cases := []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Arch = "8,2,3" }, "arch"},
		{func(c *Config) { c.Channels = 2 }, "channels 2"},
		{func(c *Config) { c.Epochs = 0 }, "epochs 0"},
		{func(c *Config) { c.Batch = 0 }, "batch 0"},
		{func(c *Config) { c.LR = math.NaN() }, "lr NaN"},
		{func(c *Config) { c.WD = -1 }, "weight decay -1"},
		{func(c *Config) { c.LabelSmoothing = 1 }, "label smoothing 1"},
		{func(c *Config) { c.Warmup = 1 }, "warmup 1"},
		{func(c *Config) { c.Retoken = "4x1:0.5" }, "sum to 0.5"},
		{func(c *Config) { c.ValFraction = 1 }, "validation fraction 1"},
		{func(c *Config) { c.TrainImages = -1 }, "training images -1"},
		{func(c *Config) { c.CheckpointEvery = -1 }, "checkpoint interval -1"},
		{func(c *Config) { c.LogEvery = -1 }, "log interval -1"},
		{func(c *Config) { c.Out = "" }, "no output directory"},
		{func(c *Config) { c.ORT.Device = "tpu" }, `device "tpu"`},
	}
	for _, c := range cases {
		cfg := DefaultConfig(seedArch)
		cfg.Out = t.TempDir()
		c.edit(&cfg)
		if err := cfg.check(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want one mentioning %q", err, c.want)
		}
	}
	cfg := DefaultConfig(seedArch)
	cfg.Out = "x"
	if err := cfg.check(); err != nil {
		t.Errorf("default config: %v", err)
	}
}
