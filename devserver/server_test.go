//go:build devserver

package devserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/primitives"
)

const taskQueue = "devserver-test"

// greetWorkflow runs upperActivity on name.
func greetWorkflow(ctx workflow.Context, name string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var upper string
	if err := workflow.ExecuteActivity(ctx, upperActivity, name).Get(ctx, &upper); err != nil {
		return "", err
	}
	return "hello " + upper, nil
}

func upperActivity(_ context.Context, s string) (string, error) { return strings.ToUpper(s), nil }

// waitWorkflow waits for the signal "name" and greets it.
func waitWorkflow(ctx workflow.Context, greeting string) (string, error) {
	var name string
	workflow.GetSignalChannel(ctx, "name").Receive(ctx, &name)
	return greeting + " " + name, nil
}

// syncBuffer collects the server's log; it is printed when a test fails.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// freePort returns a frontend port whose four ports are free on 127.0.0.1.
func freePort(t *testing.T) int {
	t.Helper()
	p, err := FreePort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// start starts a server with o (its log kept for a failure report) and
// stops it when the test ends.
func start(t *testing.T, o Options) *Server {
	t.Helper()
	logs := &syncBuffer{}
	o.Log = logs
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log (port %d):\n%s", o.Port, logs.String())
		}
	})
	began := time.Now()
	s, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("server on %s ready in %.1f s (%d bytes of warnings)", s.HostPort(), time.Since(began).Seconds(), len(logs.String()))
	t.Cleanup(func() { stop(t, s) })
	return s
}

func stop(t *testing.T, s *Server) {
	t.Helper()
	began := time.Now()
	if err := s.Stop(); err != nil {
		t.Error(err)
	}
	t.Logf("server on %s stopped in %.1f s", s.HostPort(), time.Since(began).Seconds())
}

// connect returns a client of s and a worker running the test's workflows
// and activity; both end with the test or when stop is called.
func connect(t *testing.T, s *Server) (c client.Client, stop func()) {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: s.HostPort(),
		Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflow(greetWorkflow)
	w.RegisterWorkflow(waitWorkflow)
	w.RegisterActivity(upperActivity)
	if err := w.Start(); err != nil {
		c.Close()
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() { once.Do(func() { w.Stop(); c.Close() }) }
	t.Cleanup(stop)
	return c, stop
}

func TestWorkflowInMemory(t *testing.T) {
	t.Parallel()
	s := start(t, Options{Port: freePort(t)})
	c, _ := connect(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: taskQueue}, greetWorkflow, "world")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil {
		t.Fatal(err)
	}
	if got != "hello WORLD" {
		t.Errorf("workflow returned %q, want %q", got, "hello WORLD")
	}
}

// TestPersistence starts a workflow that waits for a signal, stops the
// server, starts a new one on the same file and then one on a copy of it
// (the SQLite plugin keeps one connection per file for the life of the
// process, so only the copy is read afresh from disk), and signals the
// workflow on both. Each server has ports of its own: the pollers of the
// server's system workers outlive Stop (see the package doc) and would
// attach to a later server on the same address.
func TestPersistence(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "state.db")
	port := freePort(t)
	const id = "wait-for-name"

	s1 := start(t, Options{Port: port, DB: db})
	c, stopWorker := connect(t, s1)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue}, waitWorkflow, "hello"); err != nil {
		t.Fatal(err)
	}
	// Wait until the worker has run the workflow up to its Receive: the
	// first workflow task is completed (history event 4).
	for {
		d, err := c.DescribeWorkflowExecution(ctx, id, "")
		if err != nil {
			t.Fatal(err)
		}
		if d.GetWorkflowExecutionInfo().GetHistoryLength() >= 4 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	stopWorker()
	stop(t, s1)
	if err := checkPorts("127.0.0.1", port); err != nil {
		t.Errorf("after Stop: %v", err)
	}
	copied := filepath.Join(t.TempDir(), "copy.db")
	data, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copied, data, 0o644); err != nil {
		t.Fatal(err)
	}

	for _, file := range []string{db, copied} {
		// A second namespace is created beside the existing "default".
		s := start(t, Options{Port: freePort(t), DB: file, Namespaces: []string{"default", "other"}})
		c, stopWorker := connect(t, s)
		if err := c.SignalWorkflow(ctx, id, "", "name", filepath.Base(file)); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		var got string
		if err := c.GetWorkflow(ctx, id, "").Get(ctx, &got); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if want := "hello " + filepath.Base(file); got != want {
			t.Errorf("%s: workflow returned %q, want %q", file, got, want)
		}
		stopWorker()
		stop(t, s)
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, []byte("not a database, just text that is long enough to have a header\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	taken := func(p int) func() {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Fatal(err)
		}
		return func() { _ = l.Close() }
	}
	for _, tc := range []struct {
		name  string
		o     Options
		setup func() func()
		want  []string
	}{
		{"frontend port taken", Options{Port: port}, func() func() { return taken(port) },
			[]string{"port " + strconv.Itoa(port), "frontend", "not free"}},
		{"matching port taken", Options{Port: port}, func() func() { return taken(port + 2) },
			[]string{"port " + strconv.Itoa(port+2), "matching", "not free"}},
		{"port out of range", Options{Port: 65534}, nil, []string{"port 65534", "out of range"}},
		{"bad IP", Options{IP: "localhost:1", Port: port}, nil, []string{`IP "localhost:1"`, "not an IP address"}},
		{"IP not here", Options{IP: "192.0.2.1", Port: port}, nil, []string{"192.0.2.1"}},
		{"missing directory", Options{Port: port, DB: filepath.Join(dir, "no", "such", "state.db")},
			nil, []string{"state.db", "does not exist"}},
		{"directory as DB", Options{Port: port, DB: dir}, nil, []string{dir, "is a directory"}},
		{"not a database", Options{Port: port, DB: notDB}, nil, []string{notDB, "not an SQLite database"}},
		{"empty namespace", Options{Port: port, Namespaces: []string{""}}, nil, []string{"namespace", "empty"}},
		{"system namespace", Options{Port: port, Namespaces: []string{"temporal-system"}}, nil, []string{`"temporal-system"`}},
		{"repeated namespace", Options{Port: port, Namespaces: []string{"a", "a"}}, nil, []string{`"a"`, "twice"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				defer tc.setup()()
			}
			s, err := Start(tc.o)
			if err == nil {
				_ = s.Stop()
				t.Fatal("Start succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}

	if _, err := FreePort("192.0.2.1"); err == nil || !strings.Contains(err.Error(), "192.0.2.1") {
		t.Errorf("FreePort on an IP not here: got %v, want an error naming it", err)
	}

	if os.Geteuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "readonly")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		_, err := Start(Options{Port: port, DB: filepath.Join(ro, "state.db")})
		if err == nil || !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), "state.db") {
			t.Errorf("read-only directory: got %v, want a permission error naming the file", err)
		}
	}
}

// TestPortTakenAfterCheck takes the history port between Start's check and
// the server's bind: the server's Fatal must come back as an error.
func TestPortTakenAfterCheck(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+1))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	sqlCfg, err := openDatabase("")
	if err != nil {
		t.Fatal(err)
	}
	hostPort := "127.0.0.1:" + strconv.Itoa(port)
	hosts := map[primitives.ServiceName]static.Hosts{}
	for i, name := range services {
		hosts[primitives.ServiceName(name)] = static.SingleLocalHost("127.0.0.1:" + strconv.Itoa(port+i))
	}
	srv, err := startServer(serverConfig("127.0.0.1", port, hostPort, sqlCfg), hosts, newTextLogger(nil))
	if err == nil {
		_ = srv.Stop()
		t.Fatal("the server started on a taken port")
	}
	if !strings.Contains(err.Error(), strconv.Itoa(port+1)) {
		t.Errorf("error %q does not name the port %d", err, port+1)
	}
	t.Log(err)
}

// ExampleStart shows the calls; it has no output to check, so it is
// compiled but not run.
func ExampleStart() {
	s, err := Start(Options{DB: "temporal.db"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Stop()
	c, err := client.Dial(client.Options{HostPort: s.HostPort()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
}
