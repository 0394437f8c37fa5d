package eval

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/asvit/asvit/graphgen"
	ort "github.com/yalue/onnxruntime_go"
)

var ortEnv struct {
	once sync.Once
	err  error
}

// ortLibrary returns $ONNXRUNTIME_LIB, else the first
// .cache/onnxruntime/libonnxruntime.so.1 above the working directory.
func ortLibrary() (string, error) {
	if p := os.Getenv("ONNXRUNTIME_LIB"); p != "" {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, ".cache", "onnxruntime", "libonnxruntime.so.1")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no .cache/onnxruntime/libonnxruntime.so.1 above the working directory and ONNXRUNTIME_LIB is unset")
		}
		dir = parent
	}
}

// initORT loads ONNX Runtime once per test binary, failing t when it cannot.
func initORT(t testing.TB) {
	t.Helper()
	ortEnv.once.Do(func() {
		lib, err := ortLibrary()
		if err != nil {
			ortEnv.err = err
			return
		}
		ort.SetSharedLibraryPath(lib)
		ortEnv.err = ort.InitializeEnvironment()
	})
	if ortEnv.err != nil {
		t.Fatalf("onnxruntime is unavailable: %v; run `bash scripts/install-ort.sh`", ortEnv.err)
	}
}

// runORT runs g's declared outputs in ONNX Runtime on the CPU with feeds for
// its inputs (and parameters, when they are inputs) and returns them as float64.
func runORT(t testing.TB, g *graphgen.Graph, feeds map[*graphgen.Value][]float64) [][]float64 {
	t.Helper()
	initORT(t)
	model, err := g.Model()
	if err != nil {
		t.Fatalf("serialising %s: %v", g.Name, err)
	}
	inputs := g.Inputs()
	if g.ParamsAsInputs {
		inputs = append(inputs, g.Params()...)
	}
	var inNames, outNames []string
	var ins []ort.Value
	defer func() {
		for _, v := range ins {
			v.Destroy()
		}
	}()
	for _, v := range inputs {
		tensor, err := ortTensor(v, feeds[v])
		if err != nil {
			t.Fatalf("input %s: %v", v, err)
		}
		inNames, ins = append(inNames, v.Name()), append(ins, tensor)
	}
	for _, v := range g.Outputs() {
		outNames = append(outNames, v.Name())
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		t.Fatal(err)
	}
	defer opts.Destroy()
	if err := opts.SetIntraOpNumThreads(1); err != nil {
		t.Fatal(err)
	}
	sess, err := ort.NewDynamicAdvancedSessionWithONNXData(model, inNames, outNames, opts)
	if err != nil {
		t.Fatalf("loading %s into onnxruntime: %v", g.Name, err)
	}
	defer sess.Destroy()
	outs := make([]ort.Value, len(outNames))
	if err := sess.Run(ins, outs); err != nil {
		t.Fatalf("running %s in onnxruntime: %v", g.Name, err)
	}
	res := make([][]float64, len(outs))
	for i, o := range outs {
		defer o.Destroy()
		switch o := o.(type) {
		case *ort.Tensor[float32]:
			res[i] = convert(o.GetData(), func(x float32) float64 { return float64(x) })
		case *ort.Tensor[float64]:
			res[i] = o.GetData()
		case *ort.Tensor[int64]:
			res[i] = convert(o.GetData(), func(x int64) float64 { return float64(x) })
		case *ort.Tensor[bool]:
			res[i] = convert(o.GetData(), b2f)
		default:
			t.Fatalf("output %s has unsupported type %T", outNames[i], o)
		}
	}
	return res
}

// ortTensor makes the ONNX Runtime tensor of v's dtype holding data.
func ortTensor(v *graphgen.Value, data []float64) (ort.Value, error) {
	var shape ort.Shape
	for _, d := range v.Shape() {
		shape = append(shape, int64(d))
	}
	if len(data) != v.Size() {
		return nil, errors.New("no feed of the right size")
	}
	switch v.DType() {
	case graphgen.Float32:
		return ort.NewTensor(shape, convert(data, func(x float64) float32 { return float32(x) }))
	case graphgen.Float64:
		return ort.NewTensor(shape, data)
	case graphgen.Int64:
		return ort.NewTensor(shape, convert(data, func(x float64) int64 { return int64(x) }))
	case graphgen.Bool:
		return ort.NewTensor(shape, convert(data, func(x float64) bool { return x != 0 }))
	}
	return nil, errors.New("unsupported dtype")
}
