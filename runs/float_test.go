package runs

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
)

func TestFloatRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	vals := []float64{0, math.Copysign(0, -1), 1, -1.5, 0.1, 1e-300, math.MaxFloat64,
		math.SmallestNonzeroFloat64, math.NaN(), math.Inf(1), math.Inf(-1)}
	for range 1000 {
		vals = append(vals, math.Float64frombits(r.Uint64()))
	}
	for _, v := range vals {
		b, err := json.Marshal(Float(v))
		if err != nil {
			t.Fatalf("marshal %v: %v", v, err)
		}
		var got Float
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("unmarshal %s: %v", b, err)
		}
		if math.IsNaN(v) {
			if !math.IsNaN(float64(got)) {
				t.Errorf("NaN came back as %v", got)
			}
			continue
		}
		if math.Float64bits(float64(got)) != math.Float64bits(v) {
			t.Errorf("%v (%s) came back as %v", v, b, got)
		}
	}
}

func TestFloatText(t *testing.T) {
	for v, want := range map[float64]string{math.Inf(1): `"+Inf"`, math.Inf(-1): `"-Inf"`, 2.5: `2.5`, 1e21: `1e+21`} {
		b, _ := json.Marshal(Float(v))
		if string(b) != want {
			t.Errorf("%v: got %s, want %s", v, b, want)
		}
	}
	for _, bad := range []string{`"nan"`, `true`, `1e400`, `{}`} {
		var f Float
		if err := json.Unmarshal([]byte(bad), &f); err == nil {
			t.Errorf("%s: decoded as %v, want an error", bad, f)
		}
	}
}

func FuzzFloat(f *testing.F) {
	for _, s := range []string{`1`, `-0`, `"NaN"`, `"+Inf"`, `"Inf"`, `"-Inf"`, `1e308`, `1e400`, `"x"`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v Float
		if json.Unmarshal(b, &v) != nil {
			return
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%q decoded to %v, which does not encode: %v", b, v, err)
		}
		var back Float
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%s does not decode: %v", out, err)
		}
		if math.Float64bits(float64(back)) != math.Float64bits(float64(v)) && !math.IsNaN(float64(v)) {
			t.Fatalf("%q: %v became %v", b, v, back)
		}
	})
}
