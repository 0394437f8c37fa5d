package train

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"os"
	"slices"

	"github.com/asvit/asvit/atomicfile"
	"github.com/asvit/asvit/vit"
)

// Checkpoint file layout, all integers little-endian:
//
//	magic    8 bytes  "ASVITCKP"
//	version  uint32   CheckpointVersion
//	length   uint32   of the header
//	header   JSON     CheckpointHeader
//	tensors  float32  each of Header.Tensors in order, row-major
//	crc      uint32   CRC-32 (IEEE) of everything before it
const (
	checkpointMagic = "ASVITCKP"
	// CheckpointVersion is the version of the layout written: 3 added the
	// log size to the header.
	CheckpointVersion = 3
	maxHeaderBytes    = 1 << 24
)

// TensorInfo names and shapes one stored tensor.
type TensorInfo struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

// Size returns the number of elements.
func (t TensorInfo) Size() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// EpochSums are the running training sums of an epoch.
type EpochSums struct {
	Loss    float64 `json:"loss"`    // Σ batch mean loss × batch
	Correct int64   `json:"correct"` // correct predictions
	Images  int64   `json:"images"`
	Seconds float64 `json:"seconds"` // spent in training steps
}

// CheckpointHeader is the state of a run besides its tensors. The data
// order and augmentation of every epoch follow from (seed, epoch), so the
// epoch and the steps done in it are the whole random state.
type CheckpointHeader struct {
	Arch         string       `json:"arch"`
	Stride       int          `json:"patch_stride"` // the tokenizer the weights were trained at
	Dilation     int          `json:"patch_dilation"`
	Step         int          `json:"step"`          // AdamW steps taken
	Epoch        int          `json:"epoch"`         // the epoch in progress, from 0
	EpochStep    int          `json:"epoch_step"`    // its steps done
	Running      EpochSums    `json:"running"`       // its sums so far
	BestValAcc   float64      `json:"best_val_acc"`  // 0 without a validation split
	BestEpoch    int          `json:"best_epoch"`    // from 1; 0 when no epoch has ended
	TrainSeconds float64      `json:"train_seconds"` // in training steps, whole run
	LogSize      int64        `json:"log_size"`      // bytes of log.jsonl written when it was taken
	Tensors      []TensorInfo `json:"tensors"`
}

// Checkpoint is a header with its tensors: the parameters, then the first
// and second moments, each aligned with the model's ParamTable and named
// by NamesOf.
type Checkpoint struct {
	CheckpointHeader
	Data [][]float32
}

// WriteCheckpoint writes c to path atomically: into a temporary file in
// the same directory, synced, then renamed over path.
func WriteCheckpoint(path string, c *Checkpoint) error {
	return WriteTensorFile(path, c.CheckpointHeader, c.Data)
}

// TensorHeader is the JSON header of a checkpoint file: any state a
// pipeline keeps, with the list of the tensors stored after it.
type TensorHeader interface {
	TensorList() []TensorInfo
}

// TensorList returns h.Tensors.
func (h CheckpointHeader) TensorList() []TensorInfo { return h.Tensors }

// WriteTensorFile writes header and the tensors it lists, data, to path in
// the checkpoint layout, atomically: into a temporary file in the same
// directory, synced, then renamed over path. Training and detection runs
// keep their checkpoints in it, each with a header of its own.
func WriteTensorFile(path string, header TensorHeader, data [][]float32) error {
	tensors := header.TensorList()
	if len(data) != len(tensors) {
		return fmt.Errorf("checkpoint: %d tensors described, %d given", len(tensors), len(data))
	}
	for i, t := range tensors {
		if len(data[i]) != t.Size() {
			return fmt.Errorf("checkpoint: tensor %s has %d values, shape %v needs %d", t.Name, len(data[i]), t.Shape, t.Size())
		}
	}
	head, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("checkpoint header: %w", err)
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		crc := crc32.NewIEEE()
		bw := bufio.NewWriterSize(io.MultiWriter(w, crc), 1<<16)
		prefix := binary.LittleEndian.AppendUint32([]byte(checkpointMagic), CheckpointVersion)
		prefix = binary.LittleEndian.AppendUint32(prefix, uint32(len(head)))
		bw.Write(prefix)
		bw.Write(head)
		buf := make([]byte, 0, 1<<16)
		for _, d := range data {
			for len(d) > 0 {
				n := min(len(d), cap(buf)/4)
				buf = buf[:0]
				for _, v := range d[:n] {
					buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
				}
				bw.Write(buf)
				d = d[n:]
			}
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		_, err := w.Write(binary.LittleEndian.AppendUint32(nil, crc.Sum32()))
		return err
	})
}

// ErrCorruptCheckpoint marks a checkpoint file that is truncated or damaged.
var ErrCorruptCheckpoint = errors.New("checkpoint is corrupt")

// ReadCheckpoint reads a checkpoint written by WriteCheckpoint, checking its
// version and checksum.
func ReadCheckpoint(path string) (*Checkpoint, error) {
	c := &Checkpoint{}
	data, err := ReadTensorFile(path, &c.CheckpointHeader)
	if err != nil {
		return nil, err
	}
	c.Data = data
	return c, nil
}

// ReadTensorFile reads a file written by WriteTensorFile, checking its
// version and checksum: the header into header (a pointer; unknown fields
// are refused) and the tensors it lists, returned in order.
func ReadTensorFile(path string, header TensorHeader) ([][]float32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	crc := crc32.NewIEEE()
	r := &crcReader{r: bufio.NewReaderSize(f, 1<<16), crc: crc}
	data, err := readTensorFile(r, info.Size(), header)
	if err == nil {
		want := crc.Sum32()
		var tail [4]byte
		if _, err = io.ReadFull(r.r, tail[:]); err == nil && binary.LittleEndian.Uint32(tail[:]) != want {
			err = fmt.Errorf("%w: checksum mismatch", ErrCorruptCheckpoint)
		}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		err = fmt.Errorf("%w: truncated", ErrCorruptCheckpoint)
	}
	if err != nil {
		return nil, fmt.Errorf("read checkpoint %s: %w", path, err)
	}
	return data, nil
}

type crcReader struct {
	r   io.Reader
	crc hash.Hash32
}

func (c *crcReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.crc.Write(p[:n])
	return n, err
}

// readTensorFile reads everything but the checksum from a file of size
// bytes, the header into header.
func readTensorFile(r io.Reader, size int64, header TensorHeader) ([][]float32, error) {
	var prefix [16]byte
	if _, err := io.ReadFull(r, prefix[:]); err != nil {
		return nil, err
	}
	if string(prefix[:8]) != checkpointMagic {
		return nil, fmt.Errorf("not an asvit checkpoint (no %s magic)", checkpointMagic)
	}
	if v := binary.LittleEndian.Uint32(prefix[8:]); v != CheckpointVersion {
		return nil, fmt.Errorf("checkpoint version %d; this build reads version %d: an older asvit wrote it, use that version or start a new run", v, CheckpointVersion)
	}
	n := binary.LittleEndian.Uint32(prefix[12:])
	if n > maxHeaderBytes {
		return nil, fmt.Errorf("%w: header of %d bytes", ErrCorruptCheckpoint, n)
	}
	head := make([]byte, n)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(head))
	dec.DisallowUnknownFields()
	if err := dec.Decode(header); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrCorruptCheckpoint, err)
	}
	tensors := header.TensorList()
	left := size - int64(len(prefix)) - int64(n) - 4
	for _, t := range tensors {
		elems := int64(1)
		for _, d := range t.Shape {
			if d < 1 || elems > left/4/int64(d) {
				return nil, fmt.Errorf("%w: tensor %s of shape %v does not fit in the file", ErrCorruptCheckpoint, t.Name, t.Shape)
			}
			elems *= int64(d)
		}
		left -= 4 * elems
	}
	if left != 0 {
		return nil, fmt.Errorf("%w: %d bytes beyond the tensors", ErrCorruptCheckpoint, left)
	}
	buf := make([]byte, 1<<16)
	var data [][]float32
	for _, t := range tensors {
		d := make([]float32, 0, t.Size())
		for left := t.Size(); left > 0; {
			k := min(left, len(buf)/4)
			if _, err := io.ReadFull(r, buf[:4*k]); err != nil {
				return nil, err
			}
			for i := range k {
				d = append(d, math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:])))
			}
			left -= k
		}
		data = append(data, d)
	}
	return data, nil
}

// StateTensors describes the tensors of an AdamW state over table, as
// checkpoints store them: the parameters, then the first moments, then
// the second moments, named by NamesOf.
func StateTensors(table []vit.ParamSpec) []TensorInfo {
	var out []TensorInfo
	for _, name := range []func(StepNames) string{StepNames.param, StepNames.m, StepNames.v} {
		for _, p := range table {
			out = append(out, TensorInfo{Name: name(NamesOf(p)), Shape: p.Shape})
		}
	}
	return out
}

// CheckTensors reports the first difference between the tensors a
// checkpoint holds and those a model needs.
func CheckTensors(have, want []TensorInfo) error {
	if len(have) != len(want) {
		return fmt.Errorf("checkpoint holds %d tensors, the model needs %d", len(have), len(want))
	}
	for i, t := range want {
		if have[i].Name != t.Name || !slices.Equal(have[i].Shape, t.Shape) {
			return fmt.Errorf("checkpoint tensor %d is %s %v, the model needs %s %v", i, have[i].Name, have[i].Shape, t.Name, t.Shape)
		}
	}
	return nil
}
