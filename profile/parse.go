package profile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// The event categories ONNX Runtime writes.
const (
	CategorySession = "Session"
	CategoryNode    = "Node"
)

// KernelSuffix ends the name of the event that times one node's kernel.
const KernelSuffix = "_kernel_time"

// MaxDuration is the longest duration, in microseconds, an event may
// claim: a million seconds. Anything longer is taken for a broken file, and
// the bound keeps every sum finite.
const MaxDuration = 1e12

// Event is one event of a profile.
type Event struct {
	Category string  // "Session", "Node" or another
	Name     string  // for a node's kernel: the node's name + KernelSuffix
	Start    float64 // ts: microseconds since profiling started; 0 when absent
	Dur      float64 // microseconds; 0 when absent
	Op       string  // args.op_name: the node's op type ("" for session events)
	Provider string  // args.provider: the execution provider that ran it
}

// Kernel reports whether e is the time of one node's kernel.
func (e Event) Kernel() bool {
	return e.Category == CategoryNode && strings.HasSuffix(e.Name, KernelSuffix)
}

// Node returns the name of the node a kernel event times.
func (e Event) Node() string { return strings.TrimSuffix(e.Name, KernelSuffix) }

// rawEvent is an event as the file has it.
type rawEvent struct {
	Cat  *string  `json:"cat"`
	Name *string  `json:"name"`
	TS   *float64 `json:"ts"`
	Dur  *float64 `json:"dur"`
	Args *struct {
		OpName   *string `json:"op_name"`
		Provider *string `json:"provider"`
	} `json:"args"`
}

// Parse returns the events of the profile in data.
func Parse(data []byte) ([]Event, error) {
	return Read(bytes.NewReader(data))
}

// Read returns the events of the profile r holds.
func Read(r io.Reader) ([]Event, error) {
	var events []Event
	err := decode(r, func(e Event) error {
		events = append(events, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return events, nil
}

// ReadFile returns the events of the profile in the file at path.
func ReadFile(path string) ([]Event, error) {
	var events []Event
	err := decodeFile(path, func(e Event) error {
		events = append(events, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return events, nil
}

// decodeFile calls fn with every event of the profile at path.
func decodeFile(path string, fn func(Event) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	defer f.Close()
	if err := decode(bufio.NewReaderSize(f, 1<<16), fn); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// decode calls fn with every event of the profile r holds, in order, and
// checks that the array is whole.
func decode(r io.Reader, fn func(Event) error) error {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	switch {
	case errors.Is(err, io.EOF):
		return errors.New("profile is empty; ONNX Runtime writes it when the session is released")
	case err != nil:
		return fmt.Errorf("profile is not JSON: %w", err)
	case tok != json.Delim('['):
		return fmt.Errorf("profile is not a JSON array of events: it starts with %s", describe(tok))
	}
	for i := 0; dec.More(); i++ {
		var raw *rawEvent
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("event %d: %w", i, eventError(err))
		}
		e, err := raw.event()
		if err != nil {
			return fmt.Errorf("event %d: %w", i, err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	// More is false at the closing bracket, at the end of the input and at
	// anything that cannot continue the array.
	if tok, err := dec.Token(); err != nil || tok != json.Delim(']') {
		if err == nil || errors.Is(err, io.EOF) {
			return errors.New("profile ends before its closing ]: the file is cut short (was the session released before it was read?)")
		}
		return fmt.Errorf("profile's event array is broken: %w", err)
	}
	if tok, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return fmt.Errorf("after the event array: %w", err)
		}
		return fmt.Errorf("after the event array: unexpected %s", describe(tok))
	}
	return nil
}

// eventError rewords the decoder's errors about an event's fields.
func eventError(err error) error {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		if typ.Field == "" {
			return fmt.Errorf("got a JSON %s, want an object", typ.Value)
		}
		return fmt.Errorf("field %s is a JSON %s, want a %s", typ.Field, typ.Value, typ.Type)
	}
	return err
}

// event checks raw and converts it.
func (raw *rawEvent) event() (Event, error) {
	if raw == nil {
		return Event{}, errors.New("got null, want an object")
	}
	var e Event
	if raw.Cat != nil {
		e.Category = *raw.Cat
	}
	if raw.Name != nil {
		e.Name = *raw.Name
	}
	if raw.Args != nil {
		if raw.Args.OpName != nil {
			e.Op = *raw.Args.OpName
		}
		if raw.Args.Provider != nil {
			e.Provider = *raw.Args.Provider
		}
	}
	for _, f := range []struct {
		name string
		v    *float64
		dst  *float64
	}{{"ts", raw.TS, &e.Start}, {"dur", raw.Dur, &e.Dur}} {
		if f.v == nil {
			continue
		}
		v := *f.v
		if !(v >= 0 && v <= MaxDuration) || math.IsInf(v, 0) {
			return Event{}, fmt.Errorf("%q: %s %g µs is out of range; want 0..%g", e.Name, f.name, v, float64(MaxDuration))
		}
		*f.dst = v
	}
	if e.Kernel() {
		switch {
		case raw.Dur == nil:
			return Event{}, fmt.Errorf("%q: a kernel time without dur", e.Name)
		case e.Op == "":
			return Event{}, fmt.Errorf("%q: a kernel time without args.op_name", e.Name)
		}
	}
	return e, nil
}

// describe names a JSON token for an error message.
func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(v))
	case string:
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		return fmt.Sprintf("the string %q", v)
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", tok)
}
