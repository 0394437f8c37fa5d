package trainfree

import (
	"context"
	"encoding/json"

	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/vit"
)

// Measure is what an Evaluator reports for one topology.
type Measure struct {
	NTKCond          float64 // κ, the mean over repeats
	LengthDistortion float64 // L^E, the mean over repeats
	Bad              bool    // some repeat's κ was not finite
}

// Evaluator measures a topology at initialisation.
//
// For a resumed run to repeat an uninterrupted one, Evaluate must give the
// same Measure for the same topology whenever it is called (draw weights
// from a seed and the topology, not from a stream shared across calls).
type Evaluator interface {
	Evaluate(ctx context.Context, t vit.Topology) (Measure, error)
}

// EvaluatorFunc adapts a function to the Evaluator interface.
type EvaluatorFunc func(ctx context.Context, t vit.Topology) (Measure, error)

// Evaluate calls f.
func (f EvaluatorFunc) Evaluate(ctx context.Context, t vit.Topology) (Measure, error) {
	return f(ctx, t)
}

// measureJSON is Measure's JSON form; κ of a bad network may be NaN or ±Inf.
type measureJSON struct {
	NTKCond          runs.Float `json:"ntk_cond"`
	LengthDistortion runs.Float `json:"length_distortion"`
	Bad              bool       `json:"bad,omitempty"`
}

// MarshalJSON implements json.Marshaler; non-finite values become strings.
func (m Measure) MarshalJSON() ([]byte, error) {
	return json.Marshal(measureJSON{runs.Float(m.NTKCond), runs.Float(m.LengthDistortion), m.Bad})
}

// UnmarshalJSON implements json.Unmarshaler.
func (m *Measure) UnmarshalJSON(b []byte) error {
	var j measureJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*m = Measure{float64(j.NTKCond), float64(j.LengthDistortion), j.Bad}
	return nil
}
