package complexity

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/asvit/asvit/vit"
)

// Weights are float32 tensors by name, as an ONNX model's initializers hold
// them (an exported model names them as ParamTable does), with the model's
// metadata.
type Weights struct {
	tensors  map[string]weight
	metadata map[string]string
}

type weight struct {
	shape []int
	data  []float32
}

// Names returns the tensor names, sorted.
func (w *Weights) Names() []string {
	names := make([]string, 0, len(w.tensors))
	for n := range w.tensors {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Metadata returns the model's metadata_props by key (empty when it has
// none), where an exported model records its topology and input.
func (w *Weights) Metadata() map[string]string { return w.metadata }

// LoadWeights reads the initializers of the ONNX model file at path.
func LoadWeights(path string) (*Weights, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	w, err := ReadWeights(b)
	if err != nil {
		return nil, fmt.Errorf("weights %s: %w", path, err)
	}
	return w, nil
}

// ReadWeights reads the float32 initializers and the metadata of an ONNX
// model held in model. Initializers of other element types are skipped;
// float32 ones must carry their data inline (raw_data or float_data).
func ReadWeights(model []byte) (*Weights, error) {
	var m onnx.ModelProto
	if err := proto.Unmarshal(model, &m); err != nil {
		return nil, fmt.Errorf("not an ONNX model (%d bytes): %w", len(model), err)
	}
	if m.GetGraph() == nil {
		return nil, errors.New("the model has no graph")
	}
	w := &Weights{tensors: map[string]weight{}, metadata: map[string]string{}}
	for _, p := range m.GetMetadataProps() {
		w.metadata[p.GetKey()] = p.GetValue()
	}
	for _, t := range m.GetGraph().GetInitializer() {
		if t.GetDataType() != int32(onnx.TensorProto_FLOAT) {
			continue
		}
		if _, dup := w.tensors[t.GetName()]; dup {
			return nil, fmt.Errorf("initializer %q appears twice", t.GetName())
		}
		v, err := decodeFloat32(t)
		if err != nil {
			return nil, fmt.Errorf("initializer %q: %w", t.GetName(), err)
		}
		w.tensors[t.GetName()] = v
	}
	return w, nil
}

// maxWeightElems bounds one tensor's element count (16 GiB of float32).
const maxWeightElems = 1 << 32

func decodeFloat32(t *onnx.TensorProto) (weight, error) {
	if t.GetDataLocation() == onnx.TensorProto_EXTERNAL {
		return weight{}, errors.New("data is stored in an external file; re-export with the weights inside the model")
	}
	shape := make([]int, len(t.GetDims()))
	n := int64(1)
	for i, d := range t.GetDims() {
		if d < 0 || (d > 0 && n > maxWeightElems/d) {
			return weight{}, fmt.Errorf("dims %v are negative or too large", t.GetDims())
		}
		shape[i], n = int(d), n*d
	}
	raw, floats := t.GetRawData(), t.GetFloatData()
	switch {
	case len(raw) > 0:
		if int64(len(raw)) != 4*n {
			return weight{}, fmt.Errorf("raw data has %d bytes, want %d for dims %v", len(raw), 4*n, shape)
		}
		data := make([]float32, n)
		for i := range data {
			data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		return weight{shape, data}, nil
	case int64(len(floats)) == n:
		return weight{shape, slices.Clone(floats)}, nil
	}
	return weight{}, fmt.Errorf("holds %d values, want %d for dims %v", len(floats), n, shape)
}

// fill copies the weights into dst, aligned with table. Each parameter named
// in required must be present with its table shape; the others are copied
// when they match and zeroed otherwise, since the measures never read them.
func (w *Weights) fill(table []vit.ParamSpec, required map[string]bool, dst [][]float32) error {
	for k, p := range table {
		v, ok := w.tensors[p.Name]
		match := ok && slices.Equal(v.shape, p.Shape)
		switch {
		case match:
			copy(dst[k], v.data)
		case !required[p.Name]:
			clear(dst[k])
		case !ok:
			return fmt.Errorf("weights: no tensor %q; the model must hold every parameter of the topology, named as in its state_dict", p.Name)
		default:
			return fmt.Errorf("weights: tensor %q has shape %v, the topology needs %v; check the topology, channels and classes", p.Name, v.shape, p.Shape)
		}
	}
	return nil
}
