package vit

import (
	"fmt"
	"strconv"
	"strings"
)

// NumStages is the number of stages of every As-ViT network.
const NumStages = 4

// Defaults filled in when a topology string leaves them out.
const (
	DefaultDepth  = 1  // blocks per stage in the seed form
	DefaultHidden = 32 // initial hidden size C in the seed form
)

// MaxDim caps every stage's width, the re-embedding outputs and the final
// features, as in the authors' code.
const MaxDim = 1024

// Structural limits enforced by Validate. The lower bounds come from the
// network itself; the upper bounds only keep every count inside an int64.
const (
	maxKernel    = 32
	maxSplit     = 1024
	maxExpansion = 64
	maxDepth     = 256
	headsStep    = 8 // stage heads are H/8, H/4, H/2, H
)

// Stage is one stage of a topology: the kernel of the embedding that feeds
// it (K1 for the patch embedding, K2..K4 for the re-embeddings), the
// attention split S (windows per side), the FFN expansion E and the depth L.
type Stage struct {
	Kernel, Split, Expansion, Depth int
}

// Topology is an As-ViT network shape without its input: four stages, the
// heads H of the last stage and the initial hidden size C.
type Topology struct {
	Stages [NumStages]Stage
	Heads  int
	Hidden int
}

// Width holds one stage's sizes, which depend on the topology alone.
type Width struct {
	Dim       int // d_i = min(1024, C·2^i)
	Heads     int // h_i = H / 2^(3-i)
	HeadDim   int // d_i / h_i, rounded down
	Inner     int // HeadDim·h_i, the width of q, k and v (may be below Dim)
	FFNHidden int // d_i·E_i
}

// Widths returns the sizes of the four stages. They are meaningful when
// Validate returns nil.
func (t Topology) Widths() [NumStages]Width {
	var w [NumStages]Width
	for i, s := range t.Stages {
		d := min(MaxDim, t.Hidden<<i)
		h := t.Heads >> (NumStages - 1 - i)
		hd := 0
		if h > 0 {
			hd = d / h
		}
		w[i] = Width{Dim: d, Heads: h, HeadDim: hd, Inner: hd * h, FFNHidden: d * s.Expansion}
	}
	return w
}

// Features returns nf = min(1024, 8C), the width of the last stage and of
// the pooled features.
func (t Topology) Features() int { return min(MaxDim, t.Hidden<<(NumStages-1)) }

// Parse reads a topology in the seed form "K1,S1,E1|K2,S2,E2|K3,S3,E3|K4,S4,E4|H"
// or the scaled form "K,S,E,L|...|H,C". Each stage may omit L (default 1)
// and the last part may omit C (default 32). Spaces around fields are
// ignored. The result passes Validate.
func Parse(s string) (Topology, error) {
	t, err := parseFields(s)
	if err == nil {
		err = t.Validate()
	}
	if err != nil {
		return Topology{}, fmt.Errorf("topology %q: %w", s, err)
	}
	return t, nil
}

func parseFields(s string) (Topology, error) {
	parts := strings.Split(s, "|")
	if len(parts) != NumStages+1 {
		return Topology{}, fmt.Errorf("found %d \"|\" separators, want %d: K,S,E[,L] for each of 4 stages, then H[,C]",
			len(parts)-1, NumStages)
	}
	var t Topology
	for i := range NumStages {
		f := strings.Split(parts[i], ",")
		if len(f) != 3 && len(f) != 4 {
			return Topology{}, fmt.Errorf("stage %d: got %q, want K,S,E or K,S,E,L", i+1, parts[i])
		}
		st := &t.Stages[i]
		st.Depth = DefaultDepth
		targets := []*int{&st.Kernel, &st.Split, &st.Expansion, &st.Depth}
		for j, text := range f {
			v, err := parseInt(stageFields[i][j], text)
			if err != nil {
				return Topology{}, err
			}
			*targets[j] = v
		}
	}
	f := strings.Split(parts[NumStages], ",")
	if len(f) != 1 && len(f) != 2 {
		return Topology{}, fmt.Errorf("last part: got %q, want H or H,C", parts[NumStages])
	}
	t.Hidden = DefaultHidden
	targets := []*int{&t.Heads, &t.Hidden}
	for j, text := range f {
		v, err := parseInt(topFields[j], text)
		if err != nil {
			return Topology{}, err
		}
		*targets[j] = v
	}
	return t, nil
}

// field describes one integer of a topology for error messages.
type field struct {
	name   string
	lo, hi int
	allows string // what is allowed, in words
}

func (f field) check(v int) error {
	if v < f.lo || v > f.hi {
		return fmt.Errorf("%s: got %d, want %s", f.name, v, f.allows)
	}
	return nil
}

func rangeField(name string, lo, hi int) field {
	return field{name: name, lo: lo, hi: hi, allows: fmt.Sprintf("an integer in %d..%d", lo, hi)}
}

// stageFields[i][j] describes field j (kernel, split, expansion, depth) of
// stage i.
var stageFields = func() (f [NumStages][4]field) {
	for i := range f {
		for j := range f[i] {
			f[i][j] = stageField(i, j)
		}
	}
	return f
}()

func stageField(i, j int) field {
	n := i + 1
	switch j {
	case 0:
		lo := 2 // the re-embedding pads by (K-2)//2, which needs K ≥ 2
		if i == 0 {
			lo = 1 // the patch embedding pads by max(0, K1-stride); see New
		}
		return rangeField(fmt.Sprintf("stage %d kernel (K%d)", n, n), lo, maxKernel)
	case 1:
		if i == NumStages-1 {
			return field{name: "stage 4 split (S4)", lo: 1, hi: 1, allows: "1 (the last stage attends globally)"}
		}
		return rangeField(fmt.Sprintf("stage %d split (S%d)", n, n), 1, maxSplit)
	case 2:
		return rangeField(fmt.Sprintf("stage %d expansion (E%d)", n, n), 1, maxExpansion)
	default:
		return rangeField(fmt.Sprintf("stage %d depth (L%d)", n, n), 1, maxDepth)
	}
}

// topFields describes the fields of the last part: heads, hidden size.
var topFields = [2]field{
	{name: "heads (H)", lo: headsStep, hi: MaxDim,
		allows: fmt.Sprintf("a multiple of %d in %d..%d", headsStep, headsStep, MaxDim)},
	rangeField("hidden size (C)", 1, MaxDim),
}

func parseInt(f field, text string) (int, error) {
	v, err := strconv.Atoi(strings.TrimSpace(text))
	if err != nil {
		return 0, fmt.Errorf("%s: got %q, want %s", f.name, text, f.allows)
	}
	return v, nil
}

// Validate reports the first structural problem of t, or nil. It requires
// K1 in 1..32, K2..K4 in 2..32 (the re-embedding padding needs K ≥ 2),
// S1..S3 in 1..1024, S4 = 1, E in 1..64, L in 1..256, C in 1..1024 (the
// patch embedding feeds C channels into a stage capped at 1024), H a
// multiple of 8 in 8..1024, and at least one channel per head in every
// stage (H/2^(3-i) ≤ d_i, that is H ≤ 8C).
func (t Topology) Validate() error {
	for i, s := range t.Stages {
		for j, v := range []int{s.Kernel, s.Split, s.Expansion, s.Depth} {
			if err := stageFields[i][j].check(v); err != nil {
				return err
			}
		}
	}
	if err := topFields[1].check(t.Hidden); err != nil {
		return err
	}
	hf := topFields[0]
	if err := hf.check(t.Heads); err != nil {
		return err
	}
	if t.Heads%headsStep != 0 {
		return fmt.Errorf("%s: got %d, want %s", hf.name, t.Heads, hf.allows)
	}
	for i, w := range t.Widths() {
		if w.HeadDim == 0 {
			return fmt.Errorf("heads (H) %d with hidden size (C) %d: stage %d would split %d channels into %d heads (head dim 0); want H ≤ %d·C, or raise C",
				t.Heads, t.Hidden, i+1, w.Dim, w.Heads, headsStep)
		}
	}
	return nil
}

// String returns the seed form when every depth is 1 and the hidden size is
// 32, and the scaled form otherwise. Parse(t.String()) returns t.
func (t Topology) String() string {
	if t.Hidden != DefaultHidden {
		return t.ScaledString()
	}
	for _, s := range t.Stages {
		if s.Depth != DefaultDepth {
			return t.ScaledString()
		}
	}
	var b strings.Builder
	for _, s := range t.Stages {
		fmt.Fprintf(&b, "%d,%d,%d|", s.Kernel, s.Split, s.Expansion)
	}
	fmt.Fprintf(&b, "%d", t.Heads)
	return b.String()
}

// ScaledString returns the scaled form "K,S,E,L|...|H,C".
func (t Topology) ScaledString() string {
	var b strings.Builder
	for _, s := range t.Stages {
		fmt.Fprintf(&b, "%d,%d,%d,%d|", s.Kernel, s.Split, s.Expansion, s.Depth)
	}
	fmt.Fprintf(&b, "%d,%d", t.Heads, t.Hidden)
	return b.String()
}
