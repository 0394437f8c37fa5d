package trainfree

import (
	"encoding/json"
	"math"
	"testing"
)

// TestMeasureJSON pins the JSON form that search and scale logs and
// checkpoints hold (as written when Measure lived in package search), so
// that existing run directories still resume, and checks the round trip.
func TestMeasureJSON(t *testing.T) {
	for _, c := range []struct {
		m    Measure
		json string
	}{
		{Measure{NTKCond: 3927.5, LengthDistortion: 0.0081}, `{"ntk_cond":3927.5,"length_distortion":0.0081}`},
		{Measure{NTKCond: math.NaN(), LengthDistortion: 0.5, Bad: true}, `{"ntk_cond":"NaN","length_distortion":0.5,"bad":true}`},
		{Measure{NTKCond: math.Inf(1), LengthDistortion: math.Inf(-1), Bad: true}, `{"ntk_cond":"+Inf","length_distortion":"-Inf","bad":true}`},
	} {
		b, err := json.Marshal(map[string]Measure{"x": c.m})
		if want := `{"x":` + c.json + `}`; err != nil || string(b) != want {
			t.Errorf("%+v: JSON %s (%v), want %s", c.m, b, err, want)
		}
		var back Measure
		if err := json.Unmarshal([]byte(c.json), &back); err != nil {
			t.Fatalf("%s: %v", c.json, err)
		}
		same := func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }
		if !same(back.NTKCond, c.m.NTKCond) || !same(back.LengthDistortion, c.m.LengthDistortion) || back.Bad != c.m.Bad {
			t.Errorf("%s read back as %+v, want %+v", c.json, back, c.m)
		}
	}
}
