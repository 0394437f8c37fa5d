package coco

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzDecode checks that Decode never panics and that whatever it accepts
// survives an Encode and Decode round trip unchanged.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(validDoc))
	for _, c := range badDocs {
		f.Add([]byte(c.doc))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Decode(bytes.NewReader(b), "fuzz.json")
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := Encode(&buf, d); err != nil {
			t.Fatalf("Encode refuses what Decode accepted: %v", err)
		}
		back, err := Decode(&buf, "again.json")
		if err != nil {
			t.Fatalf("Decode refuses what Encode wrote: %v\n%s", err, buf.Bytes())
		}
		if !reflect.DeepEqual(back, d) {
			t.Fatalf("round trip changed the set:\n%+v\n%+v", d, back)
		}
	})
}

// FuzzDecodeResults checks that DecodeResults never panics and that what it
// accepts round-trips.
func FuzzDecodeResults(f *testing.F) {
	f.Add([]byte(`[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5}]`))
	f.Add([]byte(`[]`))
	for _, c := range badResults {
		f.Add([]byte(c.doc))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		dets, err := DecodeResults(bytes.NewReader(b), "fuzz.json")
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := EncodeResults(&buf, dets); err != nil {
			t.Fatalf("EncodeResults refuses what DecodeResults accepted: %v", err)
		}
		back, err := DecodeResults(&buf, "again.json")
		if err != nil {
			t.Fatalf("DecodeResults refuses what EncodeResults wrote: %v\n%s", err, buf.Bytes())
		}
		if len(back) != len(dets) || (len(dets) > 0 && !reflect.DeepEqual(back, dets)) {
			t.Fatalf("round trip changed the results:\n%+v\n%+v", dets, back)
		}
	})
}
