package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/asvit/asvit/export"
)

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
func readAsvitModel(path string) ([]byte, export.Meta, error) {
	b, m, err := readModel(path)
	if err != nil {
		return nil, export.Meta{}, err
	}
	meta, err := export.Decode(metadataProps(m))
	if errors.Is(err, export.ErrNotAsvit) {
		return nil, export.Meta{}, fmt.Errorf("%s is %w; models written by 'asvit export' carry it", path, err)
	}
	if err != nil {
		return nil, export.Meta{}, fmt.Errorf("%s: %w", path, err)
	}
	return b, meta, nil
}
