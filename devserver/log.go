//go:build devserver

package devserver

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// textLogger is the server's logger: one line per message of level warn
// and above, written to w; debug and info are dropped, and so is the
// warning that the HTTP API port is not set (the dev server has none) and,
// once Server.Stop has begun, everything: the services' complaints about
// each other going away, and those of the system workers' pollers, which
// outlive Stop. Its Fatal panics with a fatalError instead of exiting the
// process as the server's own zap logger does, so that Start can turn a
// failure while the server sets itself up (a port taken after the check,
// say) into an error.
type textLogger struct {
	mu    *sync.Mutex  // shared by every logger derived with With
	quiet *atomic.Bool // likewise; set by Server.Stop
	w     io.Writer
	tags  []tag.Tag
}

// fatalError is what textLogger.Fatal panics with.
type fatalError struct{ line string }

func (e *fatalError) Error() string { return e.line }

func newTextLogger(w io.Writer) *textLogger {
	if w == nil {
		w = io.Discard
	}
	return &textLogger{mu: new(sync.Mutex), quiet: new(atomic.Bool), w: w}
}

func (l *textLogger) Debug(string, ...tag.Tag) {}
func (l *textLogger) Info(string, ...tag.Tag)  {}

func (l *textLogger) Warn(msg string, tags ...tag.Tag)   { l.write("WARN", msg, tags) }
func (l *textLogger) Error(msg string, tags ...tag.Tag)  { l.write("ERROR", msg, tags) }
func (l *textLogger) DPanic(msg string, tags ...tag.Tag) { l.write("ERROR", msg, tags) }

// Panic logs and panics with msg, as the server's zap logger does.
func (l *textLogger) Panic(msg string, tags ...tag.Tag) {
	l.write("PANIC", msg, tags)
	panic(msg)
}

// Fatal logs and panics with a fatalError carrying the message and tags.
func (l *textLogger) Fatal(msg string, tags ...tag.Tag) {
	line := l.format(msg, tags)
	l.emit("FATAL", line)
	panic(&fatalError{line: line})
}

// With returns a logger that adds tags to every message.
func (l *textLogger) With(tags ...tag.Tag) log.Logger {
	all := make([]tag.Tag, 0, len(l.tags)+len(tags))
	return &textLogger{mu: l.mu, quiet: l.quiet, w: l.w, tags: append(append(all, l.tags...), tags...)}
}

func (l *textLogger) write(level, msg string, tags []tag.Tag) {
	if l.w == io.Discard || l.quiet.Load() || strings.HasPrefix(msg, "HTTP API port has not been set") {
		return // formatting the tags is not free
	}
	l.emit(level, l.format(msg, tags))
}

func (l *textLogger) emit(level, line string) {
	if l.w == io.Discard || l.quiet.Load() {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s %s %s\n", time.Now().Format("15:04:05.000"), level, line)
}

// format writes msg and then key=value for every tag, quoting values that
// hold spaces.
func (l *textLogger) format(msg string, tags []tag.Tag) string {
	var b strings.Builder
	b.WriteString(msg)
	for _, t := range append(l.tags[:len(l.tags):len(l.tags)], tags...) {
		v := fmt.Sprint(t.Value())
		if v == "" || strings.ContainsAny(v, " \t\n\"=") {
			v = strconv.Quote(v)
		}
		fmt.Fprintf(&b, " %s=%s", t.Key(), v)
	}
	return b.String()
}
