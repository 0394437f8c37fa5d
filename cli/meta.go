package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/asvit/asvit/vit"
)

// Metadata keys of an exported model.
const (
	metaArch       = "asvit.arch"
	metaImage      = "asvit.image"
	metaChannels   = "asvit.channels"
	metaClasses    = "asvit.classes"
	metaMean       = "asvit.mean"
	metaStd        = "asvit.std"
	metaClassNames = "asvit.class_names"
	metaOutput     = "asvit.output"
	metaVersion    = "asvit.version"
	metaSeed       = "asvit.seed"
)

// Values of metaOutput.
const (
	outputLogits   = "logits"
	outputFeatures = "features"
)

// Bounds on what metadata may declare, so sizes multiply without overflow.
const (
	maxImage   = 1 << 14
	maxClasses = 1 << 24
)

// modelMeta is what an exported model records about how to feed it and
// how to read its output.
type modelMeta struct {
	Arch                     string // topology string
	Image, Channels, Classes int
	Mean, Std                []float32 // one per channel, on the [0,1] scale
	ClassNames               []string  // nil when unknown
	Output                   string    // outputLogits or outputFeatures
	Version                  string    // asvit version that wrote it; may be empty
}

// encode returns the metadata as model metadata_props.
func (m modelMeta) encode() (map[string]string, error) {
	props := map[string]string{
		metaArch:     m.Arch,
		metaImage:    strconv.Itoa(m.Image),
		metaChannels: strconv.Itoa(m.Channels),
		metaClasses:  strconv.Itoa(m.Classes),
		metaMean:     formatFloats(m.Mean),
		metaStd:      formatFloats(m.Std),
		metaOutput:   m.Output,
		metaVersion:  m.Version,
	}
	if m.ClassNames != nil {
		b, err := json.Marshal(m.ClassNames)
		if err != nil {
			return nil, fmt.Errorf("encode class names: %w", err)
		}
		props[metaClassNames] = string(b)
	}
	return props, nil
}

// errNotAsvit marks a valid ONNX model without asvit metadata.
var errNotAsvit = errors.New("not an asvit model")

// decodeMeta reads and checks the metadata written by encode. Unknown keys
// are ignored; a missing required key is named in the error.
func decodeMeta(props map[string]string) (modelMeta, error) {
	var m modelMeta
	get := func(key string) (string, error) {
		v, ok := props[key]
		if !ok {
			return "", fmt.Errorf("%w: metadata key %s is missing", errNotAsvit, key)
		}
		return v, nil
	}
	getInt := func(key string, lo, hi int) (int, error) {
		s, err := get(key)
		if err != nil {
			return 0, err
		}
		v, err := strconv.Atoi(s)
		if err != nil || v < lo || v > hi {
			return 0, fmt.Errorf("metadata %s is %q, want an integer in %d..%d", key, s, lo, hi)
		}
		return v, nil
	}
	var err error
	if m.Arch, err = get(metaArch); err != nil {
		return m, err
	}
	if _, err := vit.Parse(m.Arch); err != nil {
		return m, fmt.Errorf("metadata %s: %w", metaArch, err)
	}
	if m.Image, err = getInt(metaImage, 1, maxImage); err != nil {
		return m, err
	}
	if m.Channels, err = getInt(metaChannels, 1, 3); err != nil {
		return m, err
	}
	if m.Channels == 2 {
		return m, fmt.Errorf("metadata %s is 2, want 1 or 3", metaChannels)
	}
	if m.Classes, err = getInt(metaClasses, 1, maxClasses); err != nil {
		return m, err
	}
	for _, n := range []struct {
		key      string
		dst      *[]float32
		positive bool
	}{{metaMean, &m.Mean, false}, {metaStd, &m.Std, true}} {
		s, err := get(n.key)
		if err != nil {
			return m, err
		}
		if strings.Count(s, ",") != m.Channels-1 {
			return m, fmt.Errorf("metadata %s is %q, want %d comma-separated values", n.key, s, m.Channels)
		}
		if *n.dst, err = parseNorm(n.key, s, m.Channels, n.positive); err != nil {
			return m, fmt.Errorf("metadata %w", err)
		}
	}
	if m.Output, err = get(metaOutput); err != nil {
		return m, err
	}
	if m.Output != outputLogits && m.Output != outputFeatures {
		return m, fmt.Errorf("metadata %s is %q, want %s or %s", metaOutput, m.Output, outputLogits, outputFeatures)
	}
	if s, ok := props[metaClassNames]; ok {
		if err := json.Unmarshal([]byte(s), &m.ClassNames); err != nil || m.ClassNames == nil {
			return m, fmt.Errorf("metadata %s is not a JSON array of strings", metaClassNames)
		}
		if len(m.ClassNames) != m.Classes {
			return m, fmt.Errorf("metadata %s has %d names for %d classes", metaClassNames, len(m.ClassNames), m.Classes)
		}
	}
	m.Version = props[metaVersion]
	return m, nil
}

// readModel reads and decodes the ONNX model at path.
func readModel(path string) ([]byte, *onnx.ModelProto, error) {
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, fmt.Errorf("model file %s does not exist; give the path of a model written by 'asvit export'", path)
	case err != nil:
		return nil, nil, fmt.Errorf("read model: %w", err)
	}
	m := &onnx.ModelProto{}
	if err := proto.Unmarshal(b, m); err != nil {
		return nil, nil, fmt.Errorf("%s is not an ONNX model (%v)", path, err)
	}
	if m.GetGraph() == nil || len(m.GetGraph().GetNode()) == 0 {
		return nil, nil, fmt.Errorf("%s is not an ONNX model: it has no graph", path)
	}
	return b, m, nil
}

// metadataProps returns a model's metadata_props as a map.
func metadataProps(m *onnx.ModelProto) map[string]string {
	props := map[string]string{}
	for _, p := range m.GetMetadataProps() {
		props[p.GetKey()] = p.GetValue()
	}
	return props
}

// readAsvitModel reads the model at path with its asvit metadata.
func readAsvitModel(path string) ([]byte, modelMeta, error) {
	b, m, err := readModel(path)
	if err != nil {
		return nil, modelMeta{}, err
	}
	meta, err := decodeMeta(metadataProps(m))
	if errors.Is(err, errNotAsvit) {
		return nil, modelMeta{}, fmt.Errorf("%s is %w; models written by 'asvit export' carry it", path, err)
	}
	if err != nil {
		return nil, modelMeta{}, fmt.Errorf("%s: %w", path, err)
	}
	return b, meta, nil
}
