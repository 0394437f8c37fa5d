package coco

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// validDoc is a small valid instances file with extra keys COCO files carry.
const validDoc = `{"info": {"year": 2024}, "licenses": [],
"images": [{"id": 1, "file_name": "a.png", "width": 64, "height": 48},
           {"id": 2, "file_name": "b.png", "width": 32, "height": 32, "license": 3}],
"annotations": [{"id": 7, "image_id": 1, "category_id": 3, "bbox": [0, 0, 64, 48], "area": 3072, "iscrowd": 0},
                {"id": 8, "image_id": 2, "category_id": 5, "bbox": [1.5, 2.25, 10, 20.5], "area": 100.5, "iscrowd": 0, "segmentation": []}],
"categories": [{"id": 3, "name": "cat", "supercategory": "animal"}, {"id": 5, "name": "dog"}]}`

func TestDecodeValid(t *testing.T) {
	d, err := Decode(strings.NewReader(validDoc), "valid.json")
	if err != nil {
		t.Fatal(err)
	}
	want := &Dataset{
		Images: []Image{{1, "a.png", 64, 48}, {2, "b.png", 32, 32}},
		Annotations: []Annotation{
			{ID: 7, ImageID: 1, CategoryID: 3, BBox: Box{0, 0, 64, 48}, Area: 3072},
			{ID: 8, ImageID: 2, CategoryID: 5, BBox: Box{1.5, 2.25, 10, 20.5}, Area: 100.5},
		},
		Categories: []Category{{3, "cat", "animal"}, {5, "dog", ""}},
	}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", d, want)
	}
}

// badDocs are invalid instances files, each with the pieces its error must
// name. They also seed the fuzz corpus.
var badDocs = []struct {
	name, doc string
	want      []string
}{
	{"empty", ``, []string{"empty file"}},
	{"not an object", `[1, 2]`, []string{"an array where an object was expected"}},
	{"truncated", `{"images": [`, []string{"truncated JSON"}},
	{"syntax", `{"images": [}`, []string{"invalid JSON at byte"}},
	{"trailing", `{"images": [], "annotations": [], "categories": []} {}`, []string{"data after"}},
	{"no images key", `{"annotations": [], "categories": []}`, []string{`missing key "images"`}},
	{"null categories", `{"images": [], "annotations": [], "categories": null}`, []string{`missing key "categories"`}},
	{"no images", `{"images": [], "annotations": [], "categories": [{"id": 1, "name": "x"}]}`, []string{"no images"}},
	{"no categories", `{"images": [{"id": 1, "file_name": "a", "width": 1, "height": 1}], "annotations": [], "categories": []}`,
		[]string{"no categories"}},
	{"image without id", doc(`{"file_name": "a", "width": 4, "height": 4}`, ``),
		[]string{"images[0]", `missing key "id"`}},
	{"image without width", doc(`{"id": 9, "file_name": "a", "height": 4}`, ``),
		[]string{"images[0] (id 9)", `missing key "width"`}},
	{"image with fractional width", doc(`{"id": 9, "file_name": "a", "width": 4.5, "height": 4}`, ``),
		[]string{"images[0]", `key "width": number 4.5 where an integer was expected`}},
	{"image of zero height", doc(`{"id": 9, "file_name": "a", "width": 4, "height": 0}`, ``),
		[]string{"images[0] (id 9)", "width and height must be positive"}},
	{"duplicate image id", doc(`{"id": 9, "file_name": "a", "width": 4, "height": 4}, {"id": 9, "file_name": "b", "width": 4, "height": 4}`, ``),
		[]string{"images[1] (id 9)", "duplicate image id"}},
	{"duplicate file name", doc(`{"id": 9, "file_name": "a", "width": 4, "height": 4}, {"id": 10, "file_name": "a", "width": 4, "height": 4}`, ``),
		[]string{"images[1] (id 10)", `"a" is also that of images[0]`}},
	{"empty file name", doc(`{"id": 9, "file_name": "", "width": 4, "height": 4}`, ``),
		[]string{"images[0] (id 9)", "empty file_name"}},
	{"duplicate category id", `{"images": [{"id": 1, "file_name": "a", "width": 4, "height": 4}], "annotations": [],
		"categories": [{"id": 1, "name": "x"}, {"id": 1, "name": "y"}]}`,
		[]string{"categories[1] (id 1)", "duplicate category id"}},
	{"category without name", `{"images": [{"id": 1, "file_name": "a", "width": 4, "height": 4}], "annotations": [],
		"categories": [{"id": 1}]}`,
		[]string{"categories[0] (id 1)", `missing key "name"`}},
	{"annotation without bbox", doc(img1, `{"id": 4, "image_id": 1, "category_id": 1, "area": 1, "iscrowd": 0}`),
		[]string{"annotations[0] (id 4)", `missing key "bbox"`}},
	{"annotation without area", doc(img1, `{"id": 4, "image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "iscrowd": 0}`),
		[]string{"annotations[0] (id 4)", `missing key "area"`}},
	{"annotation without iscrowd", doc(img1, `{"id": 4, "image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "area": 1}`),
		[]string{"annotations[0] (id 4)", `missing key "iscrowd"`}},
	{"crowd", doc(img1, ann(4, 1, 1, "0, 0, 1, 1")+`, `+`{"id": 5, "image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "area": 1, "iscrowd": 1}`),
		[]string{"annotations[1] (id 5)", "crowd annotations are not supported"}},
	{"iscrowd 2", doc(img1, `{"id": 5, "image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "area": 1, "iscrowd": 2}`),
		[]string{"annotations[0] (id 5)", "iscrowd is 2"}},
	{"annotation id 0", doc(img1, ann(0, 1, 1, "0, 0, 1, 1")), []string{"annotations[0] (id 0)", "at least 1"}},
	{"duplicate annotation id", doc(img1, ann(4, 1, 1, "0, 0, 1, 1")+", "+ann(4, 1, 1, "0, 0, 2, 2")),
		[]string{"annotations[1] (id 4)", "duplicate annotation id"}},
	{"unknown image", doc(img1, ann(4, 2, 1, "0, 0, 1, 1")), []string{"annotations[0] (id 4)", "image_id 2 is not among the images"}},
	{"unknown category", doc(img1, ann(4, 1, 3, "0, 0, 1, 1")), []string{"annotations[0] (id 4)", "category_id 3 is not among the categories"}},
	{"three values", doc(img1, ann(4, 1, 1, "0, 0, 1")), []string{"annotations[0] (id 4)", "bbox has 3 values"}},
	{"string in bbox", doc(img1, ann(4, 1, 1, `0, 0, "1", 1`)), []string{"annotations[0]", `key "bbox"`}},
	{"zero width", doc(img1, ann(4, 1, 1, "0, 0, 0, 1")), []string{"annotations[0] (id 4)", "w <= 0"}},
	{"negative height", doc(img1, ann(4, 1, 1, "0, 0, 1, -1")), []string{"annotations[0] (id 4)", "h <= 0"}},
	{"left of image", doc(img1, ann(4, 1, 1, "-0.01, 0, 1, 1")), []string{"annotations[0] (id 4)", "extends outside its image 1 (10×8)"}},
	{"past the right", doc(img1, ann(4, 1, 1, "5, 0, 5.01, 1")), []string{"annotations[0] (id 4)", "right 10.01"}},
	{"past the bottom", doc(img1, ann(4, 1, 1, "0, 0, 1, 8.01")), []string{"annotations[0] (id 4)", "bottom 8.01"}},
	{"negative area", doc(img1, `{"id": 4, "image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "area": -1, "iscrowd": 0}`),
		[]string{"annotations[0] (id 4)", "area -1"}},
	{"huge number", doc(img1, ann(4, 1, 1, "0, 0, 1e999, 1")), []string{"annotations[0]", "out of range"}},
}

const img1 = `{"id": 1, "file_name": "a", "width": 10, "height": 8}`

// doc makes an instances file with the given images and annotations and
// one category, id 1.
func doc(images, anns string) string {
	return `{"images": [` + images + `], "annotations": [` + anns + `], "categories": [{"id": 1, "name": "x"}]}`
}

func ann(id, image, cat int, bbox string) string {
	return strings.NewReplacer("ID", strconv.Itoa(id), "IMG", strconv.Itoa(image), "CAT", strconv.Itoa(cat), "BOX", bbox).Replace(
		`{"id": ID, "image_id": IMG, "category_id": CAT, "bbox": [BOX], "area": 1, "iscrowd": 0}`)
}

func TestDecodeRejects(t *testing.T) {
	for _, c := range badDocs {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(c.doc), "bad.json")
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "bad.json: ") {
				t.Errorf("error %q does not start with the file name", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
		})
	}
}

func TestBoxToleranceAtBorders(t *testing.T) {
	// Within BoxTolerance of each border: accepted.
	in := doc(img1, ann(4, 1, 1, "-0.0009, -0.0009, 10.0018, 8.0018"))
	if _, err := Decode(strings.NewReader(in), "in.json"); err != nil {
		t.Fatalf("a box within the tolerance is rejected: %v", err)
	}
	out := doc(img1, ann(4, 1, 1, "0, 0, 10.002, 8"))
	if _, err := Decode(strings.NewReader(out), "out.json"); err == nil {
		t.Fatal("a box 0.002 px past the border is accepted")
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	d, err := Decode(strings.NewReader(validDoc), "valid.json")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "instances.json")
	if err := Write(path, d); err != nil {
		t.Fatal(err)
	}
	back, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, d) {
		t.Fatalf("read back\n%+v\nwrote\n%+v", back, d)
	}
	// Encoding is deterministic and Write writes what Encode does.
	var b1, b2 bytes.Buffer
	if err := Encode(&b1, d); err != nil {
		t.Fatal(err)
	}
	if err := Encode(&b2, back); err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b1.Bytes(), b2.Bytes()) || !bytes.Equal(b1.Bytes(), onDisk) {
		t.Fatalf("encodings differ:\n%s\n%s\n%s", b1.Bytes(), b2.Bytes(), onDisk)
	}
	if !strings.Contains(string(onDisk), `"iscrowd":0`) {
		t.Errorf("written file lacks iscrowd 0:\n%s", onDisk)
	}
}

func TestWriteRefusesInvalid(t *testing.T) {
	d := &Dataset{
		Images:      []Image{{1, "a", 4, 4}},
		Annotations: []Annotation{{ID: 1, ImageID: 1, CategoryID: 1, BBox: Box{2, 2, 3, 1}, Area: 3}},
		Categories:  []Category{{ID: 1, Name: "x"}},
	}
	path := filepath.Join(t.TempDir(), "bad.json")
	err := Write(path, d)
	if err == nil || !strings.Contains(err.Error(), "annotations[0] (id 1)") {
		t.Fatalf("writing a box past the border: got %v", err)
	}
	if _, statErr := os.Stat(path); !os.IsNotExist(statErr) {
		t.Fatalf("a refused write left a file: %v", statErr)
	}
}

func TestResultsRoundTrip(t *testing.T) {
	dets := []Detection{
		{ImageID: 1, CategoryID: 3, BBox: Box{1, 2, 3, 4}, Score: 0.9},
		{ImageID: 2, CategoryID: 5, BBox: Box{0.125, 0, 0, 7}, Score: 1e-9},
	}
	path := filepath.Join(t.TempDir(), "results.json")
	if err := WriteResults(path, dets); err != nil {
		t.Fatal(err)
	}
	back, err := ReadResults(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, dets) {
		t.Fatalf("read back %+v, wrote %+v", back, dets)
	}
	empty := filepath.Join(t.TempDir(), "empty.json")
	if err := WriteResults(empty, nil); err != nil {
		t.Fatal(err)
	}
	if back, err := ReadResults(empty); err != nil || len(back) != 0 {
		t.Fatalf("empty results read back as %v, %v", back, err)
	}
}

// badResults are invalid results files with what their errors must name.
var badResults = []struct {
	name, doc string
	want      []string
}{
	{"object", `{}`, []string{"an object where an array was expected"}},
	{"null", `null`, []string{"null"}},
	{"no score", `[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]}]`, []string{"results[0]", `missing key "score"`}},
	{"no image", `[{"category_id": 1, "bbox": [0, 0, 1, 1], "score": 1}]`, []string{"results[0]", `missing key "image_id"`}},
	{"short box", `[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1},
		{"image_id": 1, "category_id": 1, "bbox": [0, 1], "score": 1}]`, []string{"results[1]", "bbox has 2 values"}},
	{"negative width", `[{"image_id": 1, "category_id": 1, "bbox": [0, 0, -1, 1], "score": 1}]`, []string{"results[0]", "negative size"}},
}

func TestDecodeResultsRejects(t *testing.T) {
	for _, c := range badResults {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeResults(strings.NewReader(c.doc), "res.json")
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range append([]string{"res.json"}, c.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
