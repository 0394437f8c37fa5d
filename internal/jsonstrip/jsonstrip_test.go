package jsonstrip

import "testing"

func TestWithout(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"a":1,"seconds":2.5}` + "\n" + `{"seconds":3,"b":[1,2]}` + "\n", `{"a":1}` + "\n" + `{"b":[1,2]}` + "\n"},
		{"{\n  \"x\": {\"seconds\": 1},\n  \"seconds\": 9\n}\n", `{"x":{"seconds":1}}` + "\n"},
		{"", ""},
	} {
		got, err := Without([]byte(c.in), "seconds")
		if err != nil || string(got) != c.want {
			t.Errorf("Without(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := Without([]byte(`{"a":1}` + "\n" + `{"a":`)); err == nil {
		t.Error("a cut-off object was accepted")
	}
}
