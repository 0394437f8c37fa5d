package ort

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	onnxruntime "github.com/yalue/onnxruntime_go"
)

// Session is a model loaded into ONNX Runtime, bound to a fixed list of
// input and output names. Each Run takes its own tensors, so one session can
// alternate between sets of tensors (parameters and their updates, say)
// without copying them. Run may be called from several goroutines at once;
// Destroy must not overlap any Run.
type Session struct {
	sess    *onnxruntime.DynamicAdvancedSession
	inputs  []ValueInfo
	outputs []ValueInfo

	// With profiling on: Options.Profile, the prefix given to ONNX Runtime,
	// the file it writes ("" until found) and why it was not written.
	profileKey, profilePrefix, profile string
	profileErr                         error
}

// NewSession loads model (ONNX protobuf bytes) with opts. inputs names the
// tensors each Run feeds, in order, and must cover every input the model
// needs; outputs names the tensors each Run produces, in order. An empty list
// means all of them, in the model's declaration order. model is not retained:
// the caller may reuse it once NewSession returns. The caller must Destroy the
// session.
func NewSession(model []byte, inputs, outputs []string, opts Options) (*Session, error) {
	s, err := newSession(model, inputs, outputs, opts)
	if err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	return s, nil
}

// SaveFailedModelsEnv names a directory where NewSession writes every model
// it could not load, for debugging.
const SaveFailedModelsEnv = "ASVIT_SAVE_FAILED_MODELS"

// saveFailedModel writes model under $ASVIT_SAVE_FAILED_MODELS, named by its
// content hash, and returns a note for the error message.
func saveFailedModel(model []byte) string {
	dir := os.Getenv(SaveFailedModelsEnv)
	if dir == "" {
		return fmt.Sprintf(" (set %s=DIR to keep the model for debugging)", SaveFailedModelsEnv)
	}
	sum := sha256.Sum256(model)
	path := filepath.Join(dir, fmt.Sprintf("failed-%x.onnx", sum[:8]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Sprintf(" (could not save the model: %v)", err)
	}
	if err := os.WriteFile(path, model, 0o644); err != nil {
		return fmt.Sprintf(" (could not save the model: %v)", err)
	}
	return " (model saved to " + path + ")"
}

func newSession(model []byte, inputs, outputs []string, opts Options) (*Session, error) {
	if err := Init(); err != nil {
		return nil, err
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	declaredIn, declaredOut, err := ModelInfo(model)
	if err != nil {
		return nil, fmt.Errorf("%w%s", err, saveFailedModel(model))
	}
	in, err := bind("input", declaredIn, inputs, true)
	if err != nil {
		return nil, err
	}
	out, err := bind("output", declaredOut, outputs, false)
	if err != nil {
		return nil, err
	}
	s := &Session{inputs: in, outputs: out}
	if opts.Profile != "" {
		s.profileKey = opts.Profile
		if s.profilePrefix, err = reserveProfile(opts.Profile); err != nil {
			return nil, err
		}
	}
	so, err := opts.sessionOptions(s.profilePrefix)
	if err != nil {
		return nil, err
	}
	defer so.Destroy()
	s.sess, err = onnxruntime.NewDynamicAdvancedSessionWithONNXData(model, names(in), names(out), so)
	if err != nil {
		return nil, fmt.Errorf("onnx runtime rejected the model: %w%s", err, saveFailedModel(model))
	}
	if s.profilePrefix != "" {
		// ONNX Runtime opens the file as the session starts; a failure
		// here is looked at again when the session is destroyed.
		s.profile, _ = findProfile(s.profilePrefix)
	}
	return s, nil
}

// Inputs describes the session's inputs, in Run order.
func (s *Session) Inputs() []ValueInfo { return append([]ValueInfo{}, s.inputs...) }

// Outputs describes the session's outputs, in Run order.
func (s *Session) Outputs() []ValueInfo { return append([]ValueInfo{}, s.outputs...) }

// Run runs the model on in, one tensor per input in the session's input
// order, and returns one new tensor per output. The caller owns the outputs
// and must Destroy them (DestroyAll does).
func (s *Session) Run(in []*Tensor) ([]*Tensor, error) {
	var out []*Tensor
	if s != nil {
		out = make([]*Tensor, len(s.outputs))
	}
	if err := s.RunInto(in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// RunInto runs the model on in and writes each output into the tensor at the
// same index of out, which must have one entry per output. A nil entry is
// replaced by a new tensor that the caller owns and must Destroy; on error,
// out is left as it was. Inputs and non-nil outputs are checked against the
// model's declared types and shapes before anything runs.
func (s *Session) RunInto(in, out []*Tensor) error {
	if err := s.runInto(in, out); err != nil {
		return fmt.Errorf("run session: %w", err)
	}
	return nil
}

func (s *Session) runInto(in, out []*Tensor) error {
	if s == nil || s.sess == nil {
		return errors.New("the session is destroyed")
	}
	inVals, err := values("input", s.inputs, in, false)
	if err != nil {
		return err
	}
	outVals, err := values("output", s.outputs, out, true)
	if err != nil {
		return err
	}
	made, err := s.scalarOutputs(out, outVals)
	if err != nil {
		return err
	}
	err = s.sess.Run(inVals, outVals)
	if err != nil {
		err = fmt.Errorf("onnx runtime: %w", err)
	}
	// Collect what the run allocated, even after a failure, so that nothing
	// the caller will never see is left undestroyed.
	for i, t := range out {
		if t != nil || made[i] != nil || outVals[i] == nil {
			continue
		}
		var werr error
		if made[i], werr = fromValue(outVals[i]); werr != nil && err == nil {
			err = fmt.Errorf("output %q: %w", s.outputs[i].Name, werr)
		}
	}
	if err != nil {
		DestroyAll(made)
		return err
	}
	for i, t := range made {
		if t != nil {
			out[i] = t
		}
	}
	return nil
}

// scalarOutputs allocates a tensor for each nil entry of out whose output is
// declared as a scalar, because onnxruntime_go cannot wrap rank-0 values that
// ONNX Runtime allocates. It stores their values in outVals and returns them
// at the same indexes (nil elsewhere).
func (s *Session) scalarOutputs(out []*Tensor, outVals []onnxruntime.Value) ([]*Tensor, error) {
	made := make([]*Tensor, len(out))
	for i, t := range out {
		want := s.outputs[i]
		if t != nil || want.Shape == nil || len(want.Shape) > 0 {
			continue
		}
		t, err := zerosOf(want.Type, nil)
		if err != nil {
			DestroyAll(made)
			return nil, fmt.Errorf("output %q: %w", want.Name, err)
		}
		made[i], outVals[i] = t, t.value
	}
	return made, nil
}

// values checks ts against the declared values and returns their runtime
// values. Nil entries are allowed only when allowNil is set, and stay nil.
func values(kind string, declared []ValueInfo, ts []*Tensor, allowNil bool) ([]onnxruntime.Value, error) {
	if len(ts) != len(declared) {
		return nil, fmt.Errorf("got %d %ss, the session takes %d (%s)", len(ts), kind, len(declared), strings.Join(names(declared), ", "))
	}
	vals := make([]onnxruntime.Value, len(ts))
	for i, t := range ts {
		want := declared[i]
		switch {
		case t == nil && allowNil:
			continue
		case t == nil || t.value == nil:
			return nil, fmt.Errorf("%s %q: tensor is nil or destroyed", kind, want.Name)
		case !want.matches(t.dtype, t.shape):
			return nil, fmt.Errorf("%s %q: got %v, the model declares %s (negative dims are dynamic)", kind, want.Name, t, declaredType(want))
		}
		vals[i] = t.value
	}
	return vals, nil
}

func declaredType(v ValueInfo) string {
	if v.Shape == nil {
		return v.Type.String() + " of any shape"
	}
	return fmt.Sprintf("%s %v", v.Type, v.Shape)
}

// Destroy releases the session. It is safe on nil and on a session already
// destroyed. Tensors used with the session are not affected. A profiling
// session's profile is written now (see ProfilePath and ProfilePaths).
func (s *Session) Destroy() {
	if s == nil || s.sess == nil {
		return
	}
	_ = s.sess.Destroy() // onnxruntime_go's Destroy always returns nil
	s.sess = nil
	s.profileErr = s.finishProfile()
}

// bind picks the declared values named by want, in that order, or all of
// them when want is empty. With all set, every declared value must be named.
func bind(kind string, declared []ValueInfo, want []string, all bool) ([]ValueInfo, error) {
	if len(declared) == 0 {
		return nil, fmt.Errorf("the model has no %ss; a session needs at least one", kind)
	}
	if len(want) == 0 {
		want = names(declared)
	}
	byName := make(map[string]ValueInfo, len(declared))
	for _, v := range declared {
		byName[v.Name] = v
	}
	bound := make([]ValueInfo, 0, len(want))
	seen := make(map[string]bool, len(want))
	for _, name := range want {
		v, ok := byName[name]
		switch {
		case !ok:
			return nil, fmt.Errorf("the model has no %s %q; its %ss are %s", kind, name, kind, strings.Join(names(declared), ", "))
		case seen[name]:
			return nil, fmt.Errorf("%s %q is listed twice", kind, name)
		case v.Type == 0:
			return nil, fmt.Errorf("%s %q is not a tensor; only tensors are supported", kind, name)
		}
		seen[name] = true
		bound = append(bound, v)
	}
	if all {
		for _, v := range declared {
			if !seen[v.Name] {
				return nil, fmt.Errorf("%s %q is not listed; every model %s must be fed (%s)", kind, v.Name, kind, strings.Join(names(declared), ", "))
			}
		}
	}
	return bound, nil
}

func names(vs []ValueInfo) []string {
	ns := make([]string, len(vs))
	for i, v := range vs {
		ns[i] = v.Name
	}
	return ns
}
