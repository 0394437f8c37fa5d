package runs

import (
	"fmt"
	"math"
	"strconv"
)

// Float is a float64 whose JSON form also carries NaN and the infinities, as
// the strings "NaN", "+Inf" and "-Inf". Finite values are written in the
// shortest form that reads back to the same bits.
type Float float64

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	case math.IsInf(v, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler. It accepts a JSON number or one
// of the strings "NaN", "+Inf", "Inf" and "-Inf".
func (f *Float) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"NaN"`:
		*f = Float(math.NaN())
		return nil
	case `"+Inf"`, `"Inf"`:
		*f = Float(math.Inf(1))
		return nil
	case `"-Inf"`:
		*f = Float(math.Inf(-1))
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("number: got %.40q, want a JSON number in float64 range or \"NaN\", \"+Inf\", \"-Inf\"", b)
	}
	*f = Float(v)
	return nil
}
