//go:build devserver

package devserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/common/resolver"
	"go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

const (
	// DefaultIP is where the server listens when Options.IP is empty.
	DefaultIP = "127.0.0.1"
	// DefaultPort is the frontend's gRPC port when Options.Port is 0.
	DefaultPort = 7233
	// DefaultNamespace is the namespace created when Options.Namespaces
	// is empty.
	DefaultNamespace = "default"

	clusterName = "active"
	// readyTimeout bounds the wait for the frontend to answer, counted
	// from when the server's services have started.
	readyTimeout = 2 * time.Minute
)

// services are the server's services in the order of their gRPC ports:
// the frontend on Options.Port, the others on the ports after it.
var services = []string{"frontend", "history", "matching", "worker"}

// Options configure Start. The zero value is a server on 127.0.0.1:7233
// with the namespace "default", its state in memory and its log discarded.
type Options struct {
	// IP is the address every service binds to (default 127.0.0.1). An
	// unspecified address (0.0.0.0, ::) exposes them on every interface;
	// clients in this process then dial the loopback address.
	IP string
	// Port is the frontend's gRPC port (0: 7233); the history, matching
	// and worker services take the next three ports.
	Port int
	// DB is the SQLite file that holds the server's state. A new (or
	// empty) file gets the schema; an existing one is reused with its
	// workflows. "" keeps the state in memory, where no later server sees
	// it (the memory itself is freed when the process ends).
	DB string
	// Namespaces are created at start when missing (default: "default").
	Namespaces []string
	// Log receives the server's messages of level warn and above, one
	// per line; nil discards them.
	Log io.Writer
}

// Server is a running Temporal server. Stop it when done.
type Server struct {
	srv      temporal.Server
	log      *textLogger
	hostPort string

	stopOnce sync.Once
	stopErr  error
}

// HostPort is the frontend's address for clients, as client.Options.HostPort
// takes it.
func (s *Server) HostPort() string { return s.hostPort }

// Stop stops the server's services and returns once they have stopped;
// further calls return the first call's result. Nothing more is written to
// Options.Log from the moment Stop begins. What the process keeps after
// Stop is described in the package doc.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.log.quiet.Store(true)
		if err := s.srv.Stop(); err != nil {
			s.stopErr = fmt.Errorf("devserver: stopping the Temporal server: %w", err)
		}
	})
	return s.stopErr
}

// Start checks o, prepares the database, starts the server's four
// services and returns once the frontend answers a health check and
// knows every namespace. A taken port, an IP not on this machine, an
// unusable database file or a server that does not become ready within
// two minutes is an error naming the cause.
func Start(o Options) (*Server, error) {
	ip, dialIP, err := checkIP(o.IP)
	if err != nil {
		return nil, err
	}
	port := o.Port
	if port == 0 {
		port = DefaultPort
	}
	if port < 1 || port+len(services)-1 > 65535 {
		return nil, fmt.Errorf("devserver: port %d is out of range: the frontend port must be 1 to %d (the three ports after it are also used)",
			o.Port, 65535-len(services)+1)
	}
	namespaces, err := checkNamespaces(o.Namespaces)
	if err != nil {
		return nil, err
	}
	if err := checkPorts(ip, port); err != nil {
		return nil, err
	}
	sqlCfg, err := openDatabase(o.DB)
	if err != nil {
		return nil, err
	}
	if err := createNamespaces(sqlCfg, namespaces, o.DB); err != nil {
		return nil, err
	}

	hostPort := net.JoinHostPort(dialIP, strconv.Itoa(port))
	cfg := serverConfig(ip, port, hostPort, sqlCfg)
	hosts := map[primitives.ServiceName]static.Hosts{}
	for i, name := range services {
		hosts[primitives.ServiceName(name)] = static.SingleLocalHost(net.JoinHostPort(dialIP, strconv.Itoa(port+i)))
	}
	logger := newTextLogger(o.Log)
	srv, err := startServer(cfg, hosts, logger)
	if err != nil {
		return nil, err
	}
	s := &Server{srv: srv, log: logger, hostPort: hostPort}
	if err := waitReady(hostPort, namespaces, readyTimeout); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// FreePort returns a frontend port for Options.Port such that it and the
// three ports after it are free on ip ("" for DefaultIP) when it returns,
// for tests that start servers side by side. It draws from 10000 to 32767,
// below Linux's default range of ports for outgoing connections, so that a
// client elsewhere in the process is unlikely to take one of the four
// before the server binds them.
func FreePort(ip string) (int, error) {
	bind, _, err := checkIP(ip)
	if err != nil {
		return 0, err
	}
	l, err := net.Listen("tcp", net.JoinHostPort(bind, "0"))
	if err != nil {
		return 0, fmt.Errorf("devserver: cannot listen on IP %s: %w", bind, err)
	}
	_ = l.Close()
	const lo, hi = 10000, 32768 - 3
	for range 200 {
		if p := lo + rand.IntN(hi-lo); checkPorts(bind, p) == nil {
			return p, nil
		}
	}
	return 0, fmt.Errorf("devserver: found no four consecutive free ports on %s between %d and %d", bind, lo, hi+3)
}

// StartOnFreePorts is Start with o.Port set to a FreePort of o.IP, for
// tests and benchmarks that need a server of their own.
func StartOnFreePorts(o Options) (*Server, error) {
	port, err := FreePort(o.IP)
	if err != nil {
		return nil, err
	}
	o.Port = port
	return Start(o)
}

// checkIP parses ip (default DefaultIP) and returns it in canonical form
// with the address that clients dial: ip itself, or the loopback address
// of its family when ip is unspecified.
func checkIP(ip string) (bind, dial string, err error) {
	if ip == "" {
		ip = DefaultIP
	}
	parsed := net.ParseIP(ip)
	if parsed == nil {
		return "", "", fmt.Errorf("devserver: IP %q is not an IP address (give one such as 127.0.0.1 or ::1; host names are not resolved)", ip)
	}
	bind = parsed.String()
	dial = bind
	if parsed.IsUnspecified() {
		dial = "127.0.0.1"
		if parsed.To4() == nil {
			dial = "::1"
		}
	}
	return bind, dial, nil
}

// checkNamespaces returns the names with DefaultNamespace for none,
// refusing an empty or repeated name and the server's own namespace.
func checkNamespaces(names []string) ([]string, error) {
	if len(names) == 0 {
		return []string{DefaultNamespace}, nil
	}
	for i, n := range names {
		if strings.TrimSpace(n) == "" {
			return nil, errors.New("devserver: a namespace name is empty")
		}
		if n == primitives.SystemLocalNamespace {
			return nil, fmt.Errorf("devserver: namespace %q is the server's own; it always exists", n)
		}
		if slices.Contains(names[:i], n) {
			return nil, fmt.Errorf("devserver: namespace %q is given twice", n)
		}
	}
	return slices.Clone(names), nil
}

// checkPorts makes sure that the four gRPC ports from port on are free on
// ip. It releases them before it returns; should another program take one
// before the server binds it, the server's start fails with an error.
func checkPorts(ip string, port int) error {
	var held []net.Listener
	defer func() {
		for _, l := range held {
			_ = l.Close()
		}
	}()
	// An address that is not on this machine fails here, before the
	// ports are blamed.
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return fmt.Errorf("devserver: cannot listen on IP %s: %w", ip, err)
	}
	held = append(held, l)
	for i, name := range services {
		addr := net.JoinHostPort(ip, strconv.Itoa(port+i))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("devserver: port %d on %s, for the %s service, is not free: %w (the server uses ports %d to %d for the frontend, history, matching and worker services)",
				port+i, ip, name, err, port, port+len(services)-1)
		}
		held = append(held, l)
	}
	return nil
}

// memoryDBs numbers the in-memory databases of this process: the SQLite
// plugin shares one connection per data source name process-wide, so
// every in-memory server needs a name of its own.
var memoryDBs atomic.Int64

// openDatabase returns the SQLite configuration for path ("" for memory).
// A file that does not exist yet is created with the schema, first under a
// temporary name in the same directory and then renamed, so that an
// interrupted setup never leaves a file that looks like a database but
// lacks tables; so is an empty file. Any other existing file must be a
// writable Temporal database.
func openDatabase(path string) (*config.SQL, error) {
	cfg := &config.SQL{
		PluginName:        sqliteplugin.PluginName,
		ConnectAttributes: map[string]string{},
	}
	if path == "" {
		cfg.DatabaseName = fmt.Sprintf("asvit-devserver-%d-%d", os.Getpid(), memoryDBs.Add(1))
		cfg.ConnectAttributes["mode"] = "memory"
		cfg.ConnectAttributes["cache"] = "shared"
		return cfg, nil // the plugin sets up the schema of a memory database
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("devserver: database file %s: %w", path, err)
	}
	if strings.ContainsAny(abs, "?#%") {
		return nil, fmt.Errorf("devserver: database file %s: the path may not contain ?, # or %% (SQLite reads it as a URI)", path)
	}
	cfg.DatabaseName = abs
	cfg.ConnectAttributes["mode"] = "rwc"

	info, err := os.Stat(abs)
	switch {
	case err == nil && info.IsDir():
		return nil, fmt.Errorf("devserver: database file %s is a directory", path)
	case err == nil && info.Size() > 0:
		return cfg, checkExisting(cfg, path)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("devserver: database file %s: %w", path, err)
	}
	// A new file, or an empty one (SQLite's empty database) as left by
	// touch: set up the schema.
	dir := filepath.Dir(abs)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return nil, fmt.Errorf("devserver: cannot create database file %s: directory %s does not exist", path, dir)
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(abs)+".new-*")
	if err != nil {
		return nil, fmt.Errorf("devserver: cannot create database file %s: %w", path, err)
	}
	tmpName := tmp.Name()
	_ = tmp.Close()
	tmpCfg := *cfg
	tmpCfg.DatabaseName = tmpName
	if err := sqlite.SetupSchema(&tmpCfg); err != nil {
		_ = os.Remove(tmpName)
		return nil, fmt.Errorf("devserver: creating the schema in database file %s: %w", path, err)
	}
	if err := os.Rename(tmpName, abs); err != nil {
		_ = os.Remove(tmpName)
		return nil, fmt.Errorf("devserver: cannot create database file %s: %w", path, err)
	}
	return cfg, nil
}

// checkExisting makes sure that the file of cfg can be written and holds
// the Temporal schema.
func checkExisting(cfg *config.SQL, path string) error {
	f, err := os.OpenFile(cfg.DatabaseName, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("devserver: database file %s cannot be written: %w", path, err)
	}
	_ = f.Close()
	dir := filepath.Dir(cfg.DatabaseName)
	probe, err := os.CreateTemp(dir, filepath.Base(cfg.DatabaseName)+".probe-*")
	if err != nil {
		return fmt.Errorf("devserver: database file %s: its directory %s is not writable (SQLite keeps its journal there): %w", path, dir, err)
	}
	_ = probe.Close()
	_ = os.Remove(probe.Name())
	db, err := sql.NewSQLAdminDB(sqlplugin.DbKindUnknown, cfg, resolver.NewNoopResolver(), log.NewNoopLogger(), metrics.NoopMetricsHandler)
	if err != nil {
		return fmt.Errorf("devserver: database file %s is not an SQLite database: %w", path, err)
	}
	defer func() { _ = db.Close() }()
	tables, err := db.ListTables(cfg.DatabaseName)
	if err != nil {
		return fmt.Errorf("devserver: database file %s is not an SQLite database: %w", path, err)
	}
	for _, want := range []string{"namespaces", "cluster_metadata_info", "executions", "executions_visibility"} {
		if !slices.Contains(tables, want) {
			return fmt.Errorf("devserver: database file %s is not a Temporal database (it has no table %q); give a new file name to create one", path, want)
		}
	}
	return nil
}

// createNamespaces registers the namespaces that the database lacks;
// sqlite.CreateNamespaces leaves a namespace that exists by name alone.
func createNamespaces(cfg *config.SQL, names []string, path string) error {
	var nss []*sqlite.NamespaceConfig
	for _, n := range names {
		ns, err := sqlite.NewNamespaceConfig(clusterName, n, false, nil)
		if err != nil {
			return fmt.Errorf("devserver: namespace %q: %w", n, err)
		}
		nss = append(nss, ns)
	}
	if err := sqlite.CreateNamespaces(cfg, nss...); err != nil {
		where := "the in-memory database"
		if path != "" {
			where = "database file " + path
		}
		return fmt.Errorf("devserver: creating namespaces in %s: %w", where, err)
	}
	return nil
}

// serverConfig is the configuration of a single-host cluster: SQLite for
// both stores, one history shard, no archival, no metrics (Global.Metrics
// nil: a no-op handler), no pprof (port 0). There are no membership
// ports: startServer gives the server static hosts instead of ringpop.
func serverConfig(ip string, port int, hostPort string, sqlCfg *config.SQL) *config.Config {
	svcs := map[string]config.Service{}
	for i, name := range services {
		svcs[name] = config.Service{RPC: config.RPC{GRPCPort: port + i, BindOnIP: ip}}
	}
	return &config.Config{
		Persistence: config.Persistence{
			DefaultStore:     sqliteplugin.PluginName,
			VisibilityStore:  sqliteplugin.PluginName,
			NumHistoryShards: 1, // fixed for the life of a database
			DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: sqlCfg}},
		},
		ClusterMetadata: &cluster.Config{
			FailoverVersionIncrement: 10,
			MasterClusterName:        clusterName,
			CurrentClusterName:       clusterName,
			ClusterInformation: map[string]cluster.ClusterInformation{
				clusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: hostPort},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services:            svcs,
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
		// The worker service's own client dials the frontend here.
		PublicClient: config.PublicClient{HostPort: hostPort},
	}
}

// startServer builds and starts the server with static membership: each
// service finds the others at the fixed addresses in hosts. (With ringpop,
// the default, a server restarted on a database within 20 s of the last
// one's stop takes the dead members recorded there for seeds and waits
// 30 s or more to join, answering "Not enough hosts to serve the request"
// meanwhile.) A Fatal logged while it starts (textLogger panics there)
// becomes an error, after stopping whatever had started.
func startServer(cfg *config.Config, hosts map[primitives.ServiceName]static.Hosts, logger *textLogger) (srv temporal.Server, err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		fe, ok := r.(*fatalError)
		if !ok {
			panic(r)
		}
		if srv != nil {
			stopQuietly(srv, logger)
		}
		srv, err = nil, fmt.Errorf("devserver: the Temporal server failed to start: %s", fe.line)
	}()
	authorizer, err := authorization.GetAuthorizerFromConfig(&cfg.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("devserver: authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&cfg.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("devserver: claim mapper: %w", err)
	}
	srv, err = temporal.NewServer(
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithConfig(cfg),
		temporal.WithLogger(logger),
		temporal.WithStaticHosts(hosts),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dynamicconfig.StaticClient{
			// New search attributes are visible at once, as in Temporal's
			// own dev server.
			dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): true,
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("devserver: configuring the Temporal server: %w", err)
	}
	if err := srv.Start(); err != nil {
		stopQuietly(srv, logger)
		return nil, fmt.Errorf("devserver: starting the Temporal server: %w", err)
	}
	return srv, nil
}

// stopQuietly stops a server that failed to start, ignoring what that
// reports.
func stopQuietly(srv temporal.Server, logger *textLogger) {
	logger.quiet.Store(true)
	defer func() { _ = recover() }()
	_ = srv.Stop()
}

// waitReady polls the frontend on hostPort until it answers a health
// check and describes every namespace, or timeout passes.
func waitReady(hostPort string, namespaces []string, timeout time.Duration) error {
	quiet := sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))
	deadline := time.Now().Add(timeout)
	for {
		err := probe(hostPort, namespaces, quiet)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("devserver: the Temporal frontend on %s was not ready within %v: %w", hostPort, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func probe(hostPort string, namespaces []string, logger sdklog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: hostPort, Namespace: namespaces[0], Logger: logger})
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return err
	}
	for _, ns := range namespaces {
		if _, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: ns}); err != nil {
			return fmt.Errorf("namespace %q: %w", ns, err)
		}
	}
	return nil
}
