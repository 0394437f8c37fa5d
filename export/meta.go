package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/asvit/asvit/vit"
)

// Metadata keys (see the package documentation).
const (
	KeyArch          = "asvit.arch"
	KeyImage         = "asvit.image"
	KeyChannels      = "asvit.channels"
	KeyClasses       = "asvit.classes"
	KeyMean          = "asvit.mean"
	KeyStd           = "asvit.std"
	KeyClassNames    = "asvit.class_names"
	KeyCategoryIDs   = "asvit.category_ids"
	KeyOutput        = "asvit.output"
	KeyPatchStride   = "asvit.patch_stride"
	KeyPatchDilation = "asvit.patch_dilation"
	KeyWeights       = "asvit.weights"
	KeySeed          = "asvit.seed"
	KeyEpoch         = "asvit.epoch"
	KeyStep          = "asvit.step"
	KeyVersion       = "asvit.version"

	// Detectors (Output Detections) only.
	KeyTopK           = "asvit.top_k"
	KeyScoreThreshold = "asvit.score_threshold"
	KeyIoUThreshold   = "asvit.iou_threshold"
	KeyLayout         = "asvit.layout"
)

// Output is what an exported model returns.
type Output string

// Outputs of an exported model.
const (
	// Logits: vit.LogitsName, N×classes.
	Logits Output = "logits"
	// Features: vit.FeaturesName, N×features, the mean of the last stage's
	// tokens.
	Features Output = "features"
	// Stages: the four stages' maps stage1…stage4 (vit.StageMapName),
	// N×C×H×W at 1, 2, 4 and 8 times the patch stride (4, 8, 16, 32 at the
	// usual stride 4): a backbone for detection or segmentation.
	Stages Output = "stages"
)

// Detections: a detector's boxes, scores and classes (see DetectionsLayout).
// Model does not build it (package detect does, with its own graph), so it
// is not among Outputs.
const Detections Output = "detections"

// DetectionsLayout is KeyLayout's value for Detections: three outputs of
// K = KeyTopK slots per image, "boxes" float32 [N, K, 4] as x, y, width,
// height of the box in input pixels (COCO), "scores" float32 [N, K] best
// first, and "classes" int64 [N, K]; an empty slot has score 0, box 0 and
// class -1.
const DetectionsLayout = "boxes[N,K,4]=x,y,w,h;scores[N,K];classes[N,K]"

// Outputs lists every Output of a backbone's model (Model's outputs).
var Outputs = []Output{Logits, Features, Stages}

// ParseOutput reads an Output of a backbone's model from its name.
func ParseOutput(s string) (Output, error) {
	for _, o := range Outputs {
		if string(o) == s {
			return o, nil
		}
	}
	return "", fmt.Errorf("output %q; want logits, features or stages", s)
}

// graph is the graph output that o selects.
func (o Output) graph() vit.Output {
	switch o {
	case Features:
		return vit.Features
	case Stages:
		return vit.StageMaps
	}
	return vit.Logits
}

// Where the weights come from (KeyWeights).
const (
	WeightsInit = "init" // drawn by vit.Model.Init from Meta.Seed
	WeightsBest = "best" // a training run's best checkpoint
	WeightsLast = "last" // a training run's last checkpoint
)

// Bounds on what metadata may declare, so sizes multiply without overflow.
const (
	MaxImage   = 1 << 14
	MaxClasses = 1 << 24
	MaxTopK    = 1 << 24
)

// Network is what metadata says about the network a model holds; a field
// is zero where its key is absent.
type Network struct {
	Arch                     string
	Image, Channels, Classes int
}

// Meta is everything a model's metadata records.
type Meta struct {
	Network
	PatchStride, PatchDilation int // 0 when absent
	Mean, Std                  []float32
	ClassNames                 []string // nil when unknown
	CategoryIDs                []int64  // the data set's id of each class (COCO category_id); nil when unknown
	Output                     Output
	Detection                  Detection // Output Detections only; zero otherwise
	Weights                    string    // WeightsInit, WeightsBest, WeightsLast, or "" when unknown
	Seed                       uint64
	Epoch, Step                int // of trained weights
	Version                    string
}

// Detection is how a detector (Output Detections) selects its boxes.
type Detection struct {
	// TopK is the number of slots per image (K of DetectionsLayout).
	TopK int
	// ScoreThreshold is the least score of a box kept, in [0, 1].
	ScoreThreshold float64
	// IoUThreshold is the per-class NMS threshold in [0, 1]: a box whose
	// IoU with a better box of its class exceeds it is dropped; 1 keeps
	// every box.
	IoUThreshold float64
}

// ErrNotAsvit marks a model without asvit metadata.
var ErrNotAsvit = errors.New("not an asvit model")

// Encode returns m as metadata_props. The seed is written when the
// weights' origin is, the other optional numbers when they are not 0.
func (m Meta) Encode() (map[string]string, error) {
	props := map[string]string{
		KeyArch:     m.Arch,
		KeyImage:    strconv.Itoa(m.Image),
		KeyChannels: strconv.Itoa(m.Channels),
		KeyClasses:  strconv.Itoa(m.Classes),
		KeyMean:     FormatFloats(m.Mean),
		KeyStd:      FormatFloats(m.Std),
		KeyOutput:   string(m.Output),
		KeyVersion:  m.Version,
	}
	if m.ClassNames != nil {
		b, err := json.Marshal(m.ClassNames)
		if err != nil {
			return nil, fmt.Errorf("encode class names: %w", err)
		}
		props[KeyClassNames] = string(b)
	}
	if m.CategoryIDs != nil {
		if len(m.CategoryIDs) != m.Classes {
			return nil, fmt.Errorf("encode category ids: %d for %d classes", len(m.CategoryIDs), m.Classes)
		}
		b, _ := json.Marshal(m.CategoryIDs) // []int64 always encodes
		props[KeyCategoryIDs] = string(b)
	}
	for key, v := range m.optional() {
		if *v != 0 {
			props[key] = strconv.Itoa(*v)
		}
	}
	if m.Output == Detections {
		props[KeyTopK] = strconv.Itoa(m.Detection.TopK)
		props[KeyScoreThreshold] = strconv.FormatFloat(m.Detection.ScoreThreshold, 'g', -1, 64)
		props[KeyIoUThreshold] = strconv.FormatFloat(m.Detection.IoUThreshold, 'g', -1, 64)
		props[KeyLayout] = DetectionsLayout
	}
	if m.Weights != "" {
		props[KeyWeights] = m.Weights
		props[KeySeed] = strconv.FormatUint(m.Seed, 10)
	}
	return props, nil
}

// DecodeNetwork reads and checks the keys of Network that props holds.
func DecodeNetwork(props map[string]string) (Network, error) {
	var n Network
	if s, ok := props[KeyArch]; ok {
		if _, err := vit.Parse(s); err != nil {
			return n, fmt.Errorf("metadata %s: %w", KeyArch, err)
		}
		n.Arch = s
	}
	for _, k := range []struct {
		key string
		dst *int
		hi  int
	}{{KeyImage, &n.Image, MaxImage}, {KeyChannels, &n.Channels, 3}, {KeyClasses, &n.Classes, MaxClasses}} {
		s, ok := props[k.key]
		if !ok {
			continue
		}
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > k.hi || (k.key == KeyChannels && v == 2) {
			want := fmt.Sprintf("an integer in 1..%d", k.hi)
			if k.key == KeyChannels {
				want = "1 or 3"
			}
			return n, fmt.Errorf("metadata %s is %q, want %s", k.key, s, want)
		}
		*k.dst = v
	}
	return n, nil
}

// Decode reads and checks the metadata that Encode writes. Unknown keys
// are ignored; a missing required key is named in the error, which wraps
// ErrNotAsvit.
func Decode(props map[string]string) (Meta, error) {
	var m Meta
	for _, key := range []string{KeyArch, KeyImage, KeyChannels, KeyClasses, KeyMean, KeyStd, KeyOutput} {
		if _, ok := props[key]; !ok {
			return m, fmt.Errorf("%w: metadata key %s is missing", ErrNotAsvit, key)
		}
	}
	var err error
	if m.Network, err = DecodeNetwork(props); err != nil {
		return m, err
	}
	for _, n := range []struct {
		key      string
		dst      *[]float32
		positive bool
	}{{KeyMean, &m.Mean, false}, {KeyStd, &m.Std, true}} {
		if *n.dst, err = ParseFloats(props[n.key], m.Channels, n.positive); err != nil {
			return m, fmt.Errorf("metadata %s: %w", n.key, err)
		}
	}
	m.Version = props[KeyVersion]
	if props[KeyOutput] == string(Detections) {
		m.Output = Detections
		if m.Detection, err = decodeDetection(props); err != nil {
			return m, err
		}
	} else if m.Output, err = ParseOutput(props[KeyOutput]); err != nil {
		return m, fmt.Errorf("metadata %s: %w (or %s)", KeyOutput, err, Detections)
	}
	if s, ok := props[KeyClassNames]; ok {
		if err := json.Unmarshal([]byte(s), &m.ClassNames); err != nil || m.ClassNames == nil {
			return m, fmt.Errorf("metadata %s is not a JSON array of strings", KeyClassNames)
		}
		if len(m.ClassNames) != m.Classes {
			return m, fmt.Errorf("metadata %s has %d names for %d classes", KeyClassNames, len(m.ClassNames), m.Classes)
		}
	}
	if s, ok := props[KeyCategoryIDs]; ok {
		if err := json.Unmarshal([]byte(s), &m.CategoryIDs); err != nil || m.CategoryIDs == nil {
			return m, fmt.Errorf("metadata %s is not a JSON array of integers", KeyCategoryIDs)
		}
		if len(m.CategoryIDs) != m.Classes {
			return m, fmt.Errorf("metadata %s has %d ids for %d classes", KeyCategoryIDs, len(m.CategoryIDs), m.Classes)
		}
	}
	for key, v := range m.optional() {
		s, ok := props[key]
		if !ok {
			continue
		}
		if *v, err = strconv.Atoi(s); err != nil || *v < 0 {
			return m, fmt.Errorf("metadata %s is %q, want an integer of 0 or more", key, s)
		}
	}
	switch m.Weights = props[KeyWeights]; m.Weights {
	case "":
		return m, nil // the seed means nothing without the origin
	case WeightsInit, WeightsBest, WeightsLast:
	default:
		return m, fmt.Errorf("metadata %s is %q, want %s, %s or %s", KeyWeights, m.Weights, WeightsInit, WeightsBest, WeightsLast)
	}
	if s, ok := props[KeySeed]; ok {
		if m.Seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			return m, fmt.Errorf("metadata %s is %q, want an unsigned integer", KeySeed, s)
		}
	}
	return m, nil
}

// decodeDetection reads the keys that a detector's metadata must hold.
func decodeDetection(props map[string]string) (Detection, error) {
	var d Detection
	for _, key := range []string{KeyTopK, KeyScoreThreshold, KeyIoUThreshold, KeyLayout} {
		if _, ok := props[key]; !ok {
			return d, fmt.Errorf("metadata key %s is missing (required with %s %s)", key, KeyOutput, Detections)
		}
	}
	if s := props[KeyLayout]; s != DetectionsLayout {
		return d, fmt.Errorf("metadata %s is %q, want %q (a newer layout?)", KeyLayout, s, DetectionsLayout)
	}
	var err error
	if d.TopK, err = strconv.Atoi(props[KeyTopK]); err != nil || d.TopK < 1 || d.TopK > MaxTopK {
		return d, fmt.Errorf("metadata %s is %q, want an integer in 1..%d", KeyTopK, props[KeyTopK], MaxTopK)
	}
	for _, t := range []struct {
		key string
		dst *float64
	}{{KeyScoreThreshold, &d.ScoreThreshold}, {KeyIoUThreshold, &d.IoUThreshold}} {
		v, err := strconv.ParseFloat(props[t.key], 64)
		if err != nil || !(v >= 0 && v <= 1) {
			return d, fmt.Errorf("metadata %s is %q, want a number in [0, 1]", t.key, props[t.key])
		}
		*t.dst = v
	}
	return d, nil
}

// optional returns the optional integers of m by key.
func (m *Meta) optional() map[string]*int {
	return map[string]*int{KeyPatchStride: &m.PatchStride, KeyPatchDilation: &m.PatchDilation, KeyEpoch: &m.Epoch, KeyStep: &m.Step}
}

// FormatFloats writes vals as ParseFloats reads them: comma-separated, each
// in the shortest form that reads back to the same float32.
func FormatFloats(vals []float32) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = strconv.FormatFloat(float64(v), 'g', -1, 32)
	}
	return strings.Join(parts, ",")
}

// ParseFloats reads n comma-separated finite float32 values (spaces around
// each allowed), all above zero when positive is set.
func ParseFloats(text string, n int, positive bool) ([]float32, error) {
	fields := strings.Split(text, ",")
	if len(fields) != n {
		return nil, fmt.Errorf("got %d values in %q, want %d separated by commas", len(fields), text, n)
	}
	vals := make([]float32, n)
	for i, f := range fields {
		f = strings.TrimSpace(f)
		v, err := strconv.ParseFloat(f, 32)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || (positive && v <= 0) {
			want := "a finite number"
			if positive {
				want = "a finite number above 0"
			}
			return nil, fmt.Errorf("got %q, want %s", f, want)
		}
		vals[i] = float32(v)
	}
	return vals, nil
}
