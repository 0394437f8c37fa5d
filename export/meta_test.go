package export

import (
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"
)

const seedArch = "8,2,3|4,1,2|4,1,4|4,1,6|32"

func TestDecodeErrors(t *testing.T) {
	good, err := Meta{Network: Network{Arch: seedArch, Image: 32, Channels: 3, Classes: 2}, Mean: []float32{0, 0, 0},
		Std: []float32{1, 1, 1}, ClassNames: []string{"a", "b"}, CategoryIDs: []int64{1, 7}, Output: Logits, Weights: WeightsBest, Epoch: 3}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(good); err != nil {
		t.Fatalf("good metadata: %v", err)
	}
	for _, c := range []struct {
		key, value string // value "" deletes the key
		err        string
	}{
		{KeyArch, "", "metadata key asvit.arch is missing"},
		{KeyArch, "1|2", "metadata asvit.arch: topology"},
		{KeyImage, "0", "asvit.image is \"0\", want an integer in 1..16384"},
		{KeyChannels, "2", "want 1 or 3"},
		{KeyClasses, "x", "asvit.classes is \"x\""},
		{KeyMean, "0,0", "got 2 values in \"0,0\", want 3"},
		{KeyStd, "1,0,1", "above 0"},
		{KeyOutput, "maps", "want logits, features or stages"},
		{KeyClassNames, `["a"]`, "1 names for 2 classes"},
		{KeyClassNames, `{}`, "not a JSON array of strings"},
		{KeyCategoryIDs, `[1]`, "1 ids for 2 classes"},
		{KeyCategoryIDs, `["a","b"]`, "not a JSON array of integers"},
		{KeyCategoryIDs, `null`, "not a JSON array of integers"},
		{KeyEpoch, "-1", "asvit.epoch is \"-1\""},
		{KeyWeights, "random", "want init, best or last"},
		{KeySeed, "x", "asvit.seed is \"x\""},
	} {
		props := maps.Clone(good)
		if c.value == "" {
			delete(props, c.key)
		} else {
			props[c.key] = c.value
		}
		if _, err := Decode(props); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s = %q: error %v, want %q", c.key, c.value, err, c.err)
		}
	}
	if _, err := Decode(map[string]string{KeyArch: seedArch}); !errors.Is(err, ErrNotAsvit) {
		t.Errorf("partial metadata: %v, want ErrNotAsvit", err)
	}
}

// FuzzDecode checks that Decode never panics and that what it accepts
// encodes and decodes to the same metadata.
func FuzzDecode(f *testing.F) {
	good := `{"asvit.arch":"8,2,3|4,1,2|4,1,4|4,1,6|32","asvit.image":"32","asvit.channels":"3","asvit.classes":"2",` +
		`"asvit.mean":"0.5,0.4,0.3","asvit.std":"1,1,1","asvit.output":"logits","asvit.class_names":"[\"a\",\"b\"]"}`
	f.Add(good)
	f.Add(strings.Replace(good, `"asvit.channels":"3"`, `"asvit.channels":"1"`, 1))
	f.Add(strings.Replace(good, `"logits"`, `"stages"`, 1))
	f.Add(strings.Replace(good, `{`, `{"asvit.weights":"best","asvit.seed":"7","asvit.epoch":"2","asvit.patch_stride":"8",`, 1))
	f.Add(strings.Replace(good, `{`, `{"asvit.seed":"7","asvit.step":"0",`, 1))
	f.Add(strings.Replace(strings.Replace(good, `"logits"`, `"detections"`, 1), `{`,
		`{"asvit.top_k":"100","asvit.score_threshold":"0.25","asvit.iou_threshold":"1","asvit.layout":"`+DetectionsLayout+`",`, 1))
	f.Add(`{"asvit.arch":"x"}`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, text string) {
		var props map[string]string
		if json.Unmarshal([]byte(text), &props) != nil {
			return
		}
		m, err := Decode(props)
		if err != nil {
			return
		}
		enc, err := m.Encode()
		if err != nil {
			t.Fatalf("encode %+v: %v", m, err)
		}
		again, err := Decode(enc)
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("round trip of %+v: %+v, %v", m, again, err)
		}
	})
}

func TestParseFloats(t *testing.T) {
	if v, err := ParseFloats(" 0.5, 1e-3 ", 2, true); err != nil || v[0] != 0.5 || v[1] != 1e-3 {
		t.Errorf("got %v, %v", v, err)
	}
	for _, bad := range []string{"NaN", "inf", "0", "-1", "x", ""} {
		if _, err := ParseFloats(bad, 1, true); err == nil {
			t.Errorf("%q accepted as a positive value", bad)
		}
	}
	if got := FormatFloats([]float32{0.1, 0.226, 3}); got != "0.1,0.226,3" {
		t.Errorf("FormatFloats: %q", got)
	}
}

func TestDetectionMetadata(t *testing.T) {
	meta := Meta{Network: Network{Arch: seedArch, Image: 32, Channels: 1, Classes: 2}, Mean: []float32{0.5}, Std: []float32{0.25},
		ClassNames: []string{"square", "cross"}, CategoryIDs: []int64{3, 9}, Output: Detections,
		Detection: Detection{TopK: 20, ScoreThreshold: 0.3, IoUThreshold: 0.5}}
	good, err := meta.Encode()
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{KeyOutput: "detections", KeyTopK: "20", KeyScoreThreshold: "0.3", KeyIoUThreshold: "0.5", KeyLayout: DetectionsLayout} {
		if good[key] != want {
			t.Errorf("%s = %q, want %q", key, good[key], want)
		}
	}
	if got, err := Decode(good); err != nil || !reflect.DeepEqual(got, meta) {
		t.Fatalf("decoded %+v, %v; want %+v", got, err, meta)
	}
	for _, c := range []struct {
		key, value string // value "" deletes the key
		err        string
	}{
		{KeyTopK, "", "metadata key asvit.top_k is missing (required with asvit.output detections)"},
		{KeyLayout, "", "asvit.layout is missing"},
		{KeyLayout, "boxes[N,K,4]=x1,y1,x2,y2", "a newer layout"},
		{KeyTopK, "0", "asvit.top_k is \"0\", want an integer in 1..16777216"},
		{KeyScoreThreshold, "1.5", "asvit.score_threshold is \"1.5\", want a number in [0, 1]"},
		{KeyIoUThreshold, "NaN", "asvit.iou_threshold is \"NaN\""},
		{KeyOutput, "boxes", "want logits, features or stages (or detections)"},
	} {
		props := maps.Clone(good)
		if c.value == "" {
			delete(props, c.key)
		} else {
			props[c.key] = c.value
		}
		if _, err := Decode(props); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s = %q: error %v, want %q", c.key, c.value, err, c.err)
		}
	}
	// The detection keys mean nothing to other outputs.
	props := maps.Clone(good)
	props[KeyOutput] = string(Logits)
	if got, err := Decode(props); err != nil || got.Detection != (Detection{}) {
		t.Errorf("logits with detection keys: %+v, %v", got.Detection, err)
	}
}
