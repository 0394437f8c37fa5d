package runs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadLogKinds(t *testing.T) {
	type a struct {
		Kind string `json:"kind"`
		N    int    `json:"n"`
	}
	type b struct {
		Kind string `json:"kind"`
		S    string `json:"s"`
	}
	dir := t.TempDir()
	write := func(log string) {
		if err := os.WriteFile(filepath.Join(dir, LogFile), []byte(log), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	read := func() ([]a, []b, error) {
		var as []a
		var bs []b
		err := ReadLogKinds(dir, map[string]func(json.RawMessage) error{"a": Into(&as), "b": Into(&bs)})
		return as, bs, err
	}
	write("{\"kind\":\"a\",\"n\":1}\n{\"kind\":\"b\",\"s\":\"x\"}\n{\"kind\":\"a\",\"n\":2}\n{\"kind\":\"a\"")
	as, bs, err := read()
	if err != nil || len(as) != 2 || as[1].N != 2 || len(bs) != 1 || bs[0].S != "x" {
		t.Fatalf("got %+v, %+v, %v; want two a records and one b, the cut line left out", as, bs, err)
	}
	for log, want := range map[string]string{
		"{\"kind\":\"a\",\"n\":1}\n{\"kind\":\"c\"}\n": `line 2: unknown kind "c"`,
		"{\"kind\":\"a\",\"n\":\"x\"}\n":               "line 1: json",
		"[1]\n":                                        "line 1: json",
	} {
		write(log)
		if _, _, err := read(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want one with %q", log, err, want)
		}
	}
}
