// Package devserver runs a Temporal server (go.temporal.io/server) inside
// the process, for development and tests, much as Temporal's own
// "temporal server start-dev" does: the frontend, history, matching and
// worker services on four consecutive ports of one IP (default
// 127.0.0.1:7233 to 7236), one history shard, SQLite for both the state
// and visibility stores, in a file that a restarted server reuses with
// its workflows or in memory. "asvit server --dev" is its command line.
//
//	s, err := devserver.Start(devserver.Options{DB: "temporal.db"})
//	...
//	c, err := client.Dial(client.Options{HostPort: s.HostPort()})
//	...
//	defer s.Stop()
//
// # Build tag
//
// Every file but this one needs the build tag devserver, and so does the
// command's glue in package cli: a default "go build ./..." never compiles
// the Temporal server, and the asvit it builds answers "asvit server"
// with an error that says how to get one that can. The server is large.
// Measured with Go 1.26 on 2 busy cores, building ./cli/asvit after a
// change to one file of package cli:
//
//	                            rebuild   binary
//	go build                    4-5 s      54 MB (54 modules)
//	go build -tags devserver    19-21 s   230 MB (227 modules)
//
// The extra 15 s is mostly the link of the larger binary. The first build
// with the tag compiles the server's dependencies (gRPC, OpenTelemetry,
// the Google Cloud, AWS and Kubernetes clients of its archivers and worker
// controllers, a pure-Go SQLite and more) once, which took 3 to 4 minutes
// there; go vet with the tag takes about 45 s and staticcheck about 2
// minutes.
//
// # How it is set up
//
// The services find each other through static hosts
// (temporal.WithStaticHosts), not ringpop: there are no membership ports,
// and a server restarted on a database does not take the dead members that
// its predecessor recorded there for seeds (with ringpop, a restart within
// 20 s of the stop waits 30 s or more to join, answering "Not enough hosts
// to serve the request" meanwhile). There are no metrics, no pprof and no
// HTTP API port; archival is off. A new database file gets its schema
// under a temporary name in the same directory and is then renamed, so an
// interrupted start never leaves a half-made database; an existing file
// must be a writable Temporal database, and only namespaces it lacks are
// created (sqlite.CreateNamespaces skips a name that exists). The server
// is ready within about 0.2 s of the call on a warm machine, about 1 s
// when it creates a new file; Stop takes 1 to 2 s. A running server holds
// about 200 MB of memory and 3,000 goroutines.
//
// # What stays behind in the process
//
// Stop stops the services, but some of the server's parts live on until
// the process ends, which matters only for a process that starts more than
// one server (tests): the SQLite plugin keeps one connection per database
// for the life of the process (an in-memory database keeps its memory);
// the pollers of the server's system workers (the scanners and the
// parent-close-policy processor, about 50 goroutines) keep trying to reach
// the frontend, so a later server in the same process should use other
// ports; and a start that fails inside the server (a port taken after
// Start's check) keeps the listeners it had opened. Nothing more is
// written to Options.Log once Stop begins.
package devserver
