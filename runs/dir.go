package runs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/asvit/asvit/atomicfile"
)

// Names of the files in a run directory.
const (
	ConfigFile     = "config.json"
	LogFile        = "log.jsonl"
	CheckpointFile = "checkpoint"
	ResultFile     = "result.json"
)

// Kind identifies a pipeline and the format version of the files it writes.
// A pipeline bumps Format whenever its checkpoint, log or config changes
// meaning, so that an older run directory is refused rather than misread.
type Kind struct {
	Name   string // e.g. "search"
	Format int
	// Free lists the config keys that may change on resume because they
	// say how the run executes (threads, device), not what it computes. A
	// key covers the dotted keys under it: "ort" frees "ort.threads".
	Free []string
}

// header is the content of config.json.
type header struct {
	Kind    string          `json:"kind"`
	Format  int             `json:"format"`
	Version string          `json:"version"`
	Config  json.RawMessage `json:"config"`
}

// envelope is the content of the checkpoint file.
type envelope struct {
	Kind    string          `json:"kind"`
	Format  int             `json:"format"`
	LogSize int64           `json:"log_size"` // bytes of log.jsonl this state covers
	State   json.RawMessage `json:"state"`
}

// Dir is an open run directory. Its methods are not safe for concurrent use.
type Dir struct {
	path    string
	kind    Kind
	log     *os.File
	logSize int64
	state   json.RawMessage // the checkpoint's state found by Open; nil when none
	// covered, for a pipeline with checkpoints of its own, returns the log
	// size its last checkpoint recorded; nil when Save writes them.
	covered func() (int64, error)
}

// Open starts a run in path, or with resume true continues the run there.
//
// A new run needs path to be missing or an empty directory; Open creates it,
// writes config.json (kind, format, tool version and config as JSON) and an
// empty log. Resuming needs config.json with the same kind, the same format
// and the same config, key by key but for the kind's Free keys; otherwise
// the error names the differences. The log is then cut back to what the checkpoint covers (all
// of it when there is no checkpoint yet), and [Dir.Checkpoint] returns the
// saved state.
func Open(path string, kind Kind, config any, resume bool) (*Dir, error) {
	return open(&Dir{path: path, kind: kind}, config, resume)
}

// OpenExternal is Open for a pipeline that writes its checkpoints itself
// instead of with [Dir.Save] (training keeps its tensors in a binary file).
// Each of its checkpoints must record [Dir.LogSize] as it is written; on
// resume covered returns the size the last one recorded (0 when there is
// none yet), and the log is cut back to it.
func OpenExternal(path string, kind Kind, config any, resume bool, covered func() (int64, error)) (*Dir, error) {
	return open(&Dir{path: path, kind: kind, covered: covered}, config, resume)
}

func open(d *Dir, config any, resume bool) (*Dir, error) {
	if d.path == "" {
		return nil, errors.New("run directory: empty path; give a directory for the run's files")
	}
	given, err := json.Marshal(config)
	if err != nil {
		return nil, fmt.Errorf("run directory %s: encode config: %w", d.path, err)
	}
	if resume {
		err = d.reopen(given)
	} else {
		err = d.create(given)
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Dir) create(config json.RawMessage) error {
	entries, err := os.ReadDir(d.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(d.path, 0o755); err != nil {
			return fmt.Errorf("run directory: %w", err)
		}
	case err != nil:
		return fmt.Errorf("run directory: %w", err)
	case len(entries) > 0:
		if _, err := os.Stat(d.file(ConfigFile)); err == nil {
			return fmt.Errorf("run directory %s already holds a run; resume it or choose a new directory", d.path)
		}
		return fmt.Errorf("run directory %s is not empty; choose a new or empty directory", d.path)
	}
	h := header{Kind: d.kind.Name, Format: d.kind.Format, Version: Version(), Config: config}
	b, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return fmt.Errorf("run directory %s: encode config: %w", d.path, err)
	}
	if err := atomicfile.WriteFile(d.file(ConfigFile), append(b, '\n'), 0o644); err != nil {
		return err
	}
	d.log, err = os.OpenFile(d.file(LogFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("run directory: %w", err)
	}
	return atomicfile.SyncDir(d.path)
}

func (d *Dir) reopen(given json.RawMessage) error {
	h, err := readHeader(d.path, d.kind)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	diffs, err := diffJSON(h.Config, given, d.kind.Free)
	if err != nil {
		return fmt.Errorf("resume %s: %s: %w", d.path, ConfigFile, err)
	}
	if len(diffs) > 0 {
		return fmt.Errorf("resume %s: settings differ from the run's %s: %s; resume with the run's settings or start a new directory",
			d.path, ConfigFile, diffs)
	}
	if d.covered != nil {
		d.logSize, err = d.covered()
	} else {
		err = d.readCheckpoint()
	}
	if err != nil {
		return fmt.Errorf("resume %s: %w", d.path, err)
	}
	d.log, err = os.OpenFile(d.file(LogFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	if err := d.cutLog(); err != nil {
		d.log.Close()
		return fmt.Errorf("resume %s: %w", d.path, err)
	}
	return nil
}

// readHeader reads config.json and checks its kind and format.
func readHeader(path string, kind Kind) (header, error) {
	h, err := loadHeader(path)
	if err != nil {
		return h, err
	}
	if h.Kind != kind.Name {
		return h, fmt.Errorf("%s holds a %q run, want a %q run", path, h.Kind, kind.Name)
	}
	if h.Format != kind.Format {
		return h, fmt.Errorf("%s holds %s runs in format %d, and this build reads format %d; use the asvit version that made it (%s) or start a new run",
			path, h.Kind, h.Format, kind.Format, h.Version)
	}
	return h, nil
}

// loadHeader reads config.json.
func loadHeader(path string) (header, error) {
	var h header
	b, err := os.ReadFile(filepath.Join(path, ConfigFile))
	if errors.Is(err, fs.ErrNotExist) {
		return h, fmt.Errorf("no run in %s (%s is missing); start a new run there instead", path, ConfigFile)
	}
	if err != nil {
		return h, err
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return h, fmt.Errorf("%s: %w", filepath.Join(path, ConfigFile), err)
	}
	if h.Kind == "" && h.Format == 0 {
		return h, fmt.Errorf("%s names no run kind or format: an older asvit wrote it, and this build cannot continue or read its run; use that version or start a new run",
			filepath.Join(path, ConfigFile))
	}
	return h, nil
}

func (d *Dir) readCheckpoint() error {
	b, err := os.ReadFile(d.file(CheckpointFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil // killed before its first step: start over
	}
	if err != nil {
		return err
	}
	var e envelope
	if err := json.Unmarshal(b, &e); err != nil {
		return fmt.Errorf("%s: %w", CheckpointFile, err)
	}
	if e.Kind != d.kind.Name || e.Format != d.kind.Format {
		return fmt.Errorf("%s: holds a %q checkpoint in format %d, want %q in format %d",
			CheckpointFile, e.Kind, e.Format, d.kind.Name, d.kind.Format)
	}
	if e.LogSize < 0 || len(e.State) == 0 {
		return fmt.Errorf("%s: damaged (log size %d, %d bytes of state); start a new run", CheckpointFile, e.LogSize, len(e.State))
	}
	d.state, d.logSize = e.State, e.LogSize
	return nil
}

// cutLog drops log records written after the checkpoint.
func (d *Dir) cutLog() error {
	st, err := d.log.Stat()
	if err != nil {
		return err
	}
	if st.Size() < d.logSize {
		return fmt.Errorf("%s has %d bytes but the checkpoint covers %d; the directory was altered, start a new run",
			LogFile, st.Size(), d.logSize)
	}
	if st.Size() == d.logSize {
		return nil
	}
	if err := d.log.Truncate(d.logSize); err != nil {
		return err
	}
	return d.log.Sync()
}

// Checkpoint decodes the state saved by the last [Dir.Save] into state and
// reports true, or reports false when the run has no checkpoint (a new run,
// or one killed before its first step).
func (d *Dir) Checkpoint(state any) (bool, error) {
	if d.state == nil {
		return false, nil
	}
	if err := json.Unmarshal(d.state, state); err != nil {
		return false, fmt.Errorf("%s: %w", d.file(CheckpointFile), err)
	}
	return true, nil
}

// Append writes rec as one JSON line at the end of log.jsonl and fsyncs it.
func (d *Dir) Append(rec any) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("%s: encode record: %w", d.file(LogFile), err)
	}
	n, err := d.log.Write(append(b, '\n'))
	if err != nil {
		return fmt.Errorf("%s: %w", d.file(LogFile), err)
	}
	if err := d.log.Sync(); err != nil {
		return fmt.Errorf("%s: sync: %w", d.file(LogFile), err)
	}
	d.logSize += int64(n)
	return nil
}

// LogSize returns the bytes of log.jsonl written so far: what a checkpoint
// written now covers.
func (d *Dir) LogSize() int64 { return d.logSize }

// Save writes state as the checkpoint, atomically, together with the size
// of the log so far. Call it after the step's [Dir.Append].
func (d *Dir) Save(state any) error {
	s, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("%s: encode state: %w", d.file(CheckpointFile), err)
	}
	b, err := json.Marshal(envelope{Kind: d.kind.Name, Format: d.kind.Format, LogSize: d.logSize, State: s})
	if err != nil {
		return fmt.Errorf("%s: %w", d.file(CheckpointFile), err)
	}
	return atomicfile.WriteFile(d.file(CheckpointFile), b, 0o644)
}

// WriteResult writes v, indented, as result.json, atomically.
func (d *Dir) WriteResult(v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: encode: %w", d.file(ResultFile), err)
	}
	return atomicfile.WriteFile(d.file(ResultFile), append(b, '\n'), 0o644)
}

// Close closes the log.
func (d *Dir) Close() error { return d.log.Close() }

func (d *Dir) file(name string) string { return filepath.Join(d.path, name) }

// Started reports whether path holds a run: whether its config.json exists.
// A run killed before writing it left nothing worth resuming.
func Started(path string) (bool, error) {
	_, err := os.Stat(filepath.Join(path, ConfigFile))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// KindOf returns the kind name and format that path's config.json records,
// for a caller that handles several kinds of run.
func KindOf(path string) (Kind, error) {
	ok, err := Started(path)
	if err == nil && !ok {
		err = fmt.Errorf("%s is not a run directory (%s is missing)", path, ConfigFile)
	}
	if err != nil {
		return Kind{}, err
	}
	h, err := loadHeader(path)
	return Kind{Name: h.Kind, Format: h.Format}, err
}

// ReadConfig decodes the settings stored in path's config.json into config,
// after checking the kind and format as [Open] does.
func ReadConfig(path string, kind Kind, config any) error {
	h, err := readHeader(path, kind)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(h.Config, config); err != nil {
		return fmt.Errorf("%s: config: %w", filepath.Join(path, ConfigFile), err)
	}
	return nil
}
