package runs

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestDecodeLog(t *testing.T) {
	recs, err := decodeLog[testRecord](strings.NewReader("{\"step\":1,\"value\":\"NaN\"}\n{\"step\":2,\"value\":2}\n{\"step\":3"), "log")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[1].Step != 2 || recs[0].Value == recs[0].Value {
		t.Fatalf("got %+v, want steps 1 (NaN) and 2, the cut line left out", recs)
	}
	for _, bad := range []string{"{\"step\":1}\n{\"step\":\"x\"}\n", "{\"step\":1}\n\n", "{\"step\":1} {}\n"} {
		if _, err := decodeLog[testRecord](strings.NewReader(bad), "log"); err == nil || !strings.Contains(err.Error(), "line 2") && !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: got %v, want an error naming the line", bad, err)
		}
	}
}

func FuzzDecodeLog(f *testing.F) {
	f.Add([]byte("{\"step\":1,\"value\":0.5}\n"))
	f.Add([]byte("{\"step\":1,\"value\":\"-Inf\"}\n{\"step\":2"))
	f.Add([]byte("\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := decodeLog[testRecord](bytes.NewReader(b), "log")
		if err != nil {
			return
		}
		var buf bytes.Buffer
		for _, r := range recs {
			line, err := json.Marshal(r)
			if err != nil {
				t.Fatalf("record %+v does not encode: %v", r, err)
			}
			buf.Write(append(line, '\n'))
		}
		again, err := decodeLog[testRecord](&buf, "log")
		if err != nil || len(again) != len(recs) {
			t.Fatalf("re-encoded log: %d records, %v; want %d", len(again), err, len(recs))
		}
	})
}
