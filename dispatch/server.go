package dispatch

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Defaults of ServerConfig.
const (
	// DefaultMaxMemory bounds JetStream's memory storage: 64 MiB. verdict's
	// streams are all on file storage; memory holds only what JetStream
	// keeps there itself.
	DefaultMaxMemory = 64 << 20
	// DefaultMaxStore bounds JetStream's file storage: 10 GiB, the
	// artifacts of the evaluations in flight and a day of results.
	DefaultMaxStore = 10 << 30
	// DefaultSyncInterval is how often JetStream fsyncs its files. A
	// process crash loses nothing (the writes are in the page cache); a
	// power cut loses at most this much, which the coordinator's store
	// repairs: see RATIONALE.md, "Why NATS JetStream, and these settings?".
	DefaultSyncInterval = 10 * time.Second
)

// Users of the embedded server.
const (
	// CoordinatorUser may do anything.
	CoordinatorUser = "coordinator"
	// WorkerUser may only take jobs, read inputs, write outputs and
	// publish results: see WorkerPermissions.
	WorkerUser = "worker"
)

// ServerConfig configures an embedded NATS server with JetStream.
type ServerConfig struct {
	// Dir holds JetStream's files (required); verdict serve uses
	// DATA_DIR/nats. A relative path is resolved when the server starts.
	Dir string
	// Listen is the HOST:PORT remote workers dial (port 0: any free
	// port); empty means no listener at all (in-process connections
	// only).
	Listen string
	// MaxMemory and MaxStore bound JetStream's memory and file storage in
	// bytes; zero means DefaultMaxMemory and DefaultMaxStore.
	MaxMemory, MaxStore int64
	// SyncInterval is how often JetStream fsyncs; zero means
	// DefaultSyncInterval.
	SyncInterval time.Duration
	// CoordinatorPassword and WorkerPassword are the passwords of
	// CoordinatorUser and WorkerUser; empty means a random one (see
	// Server.WorkerURL to hand it to workers).
	CoordinatorPassword, WorkerPassword string
}

// Validate reports missing and negative fields.
func (c ServerConfig) Validate() error {
	if c.Dir == "" {
		return fmt.Errorf("server: Dir is empty: %w", ErrConfig)
	}
	if c.MaxMemory < 0 || c.MaxStore < 0 || c.SyncInterval < 0 {
		return fmt.Errorf("server: MaxMemory %d, MaxStore %d and SyncInterval %v must not be negative: %w",
			c.MaxMemory, c.MaxStore, c.SyncInterval, ErrConfig)
	}
	if c.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			return fmt.Errorf("server: listen %q: %w: %w", c.Listen, err, ErrConfig)
		}
	}
	return nil
}

// Server is an in-process NATS server with JetStream. It never handles
// signals (NoSigs): the process that embeds it decides when it stops, so
// that the coordinator's store closes first.
type Server struct {
	ns                  *server.Server
	coordPass, workPass string
}

// StartServer starts an embedded server and waits until it accepts
// connections.
func StartServer(c ServerConfig) (*Server, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(c.Dir)
	if err != nil {
		return nil, fmt.Errorf("server: resolve dir %q: %w", c.Dir, err)
	}
	if c.MaxMemory == 0 {
		c.MaxMemory = DefaultMaxMemory
	}
	if c.MaxStore == 0 {
		c.MaxStore = DefaultMaxStore
	}
	if c.SyncInterval == 0 {
		c.SyncInterval = DefaultSyncInterval
	}
	s := &Server{coordPass: c.CoordinatorPassword, workPass: c.WorkerPassword}
	if s.coordPass == "" {
		s.coordPass = randomSecret()
	}
	if s.workPass == "" {
		s.workPass = randomSecret()
	}
	opts := &server.Options{
		ServerName:         "verdict",
		JetStream:          true,
		StoreDir:           dir,
		JetStreamMaxMemory: c.MaxMemory,
		JetStreamMaxStore:  c.MaxStore,
		SyncInterval:       c.SyncInterval,
		NoSigs:             true,
		NoLog:              true,
		DontListen:         c.Listen == "",
		MaxPayload:         MaxPayload,
		Users: []*server.User{
			{Username: CoordinatorUser, Password: s.coordPass},
			{Username: WorkerUser, Password: s.workPass, Permissions: WorkerPermissions()},
		},
	}
	if c.Listen != "" {
		host, port, _ := net.SplitHostPort(c.Listen)
		p, err := strconv.Atoi(port)
		if err != nil {
			return nil, fmt.Errorf("server: listen %q: port: %w: %w", c.Listen, err, ErrConfig)
		}
		if p == 0 {
			p = server.RANDOM_PORT // nats-server reads 0 as its default, 4222
		}
		opts.Host, opts.Port = host, p
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("start nats server: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("start nats server in %s: not ready after 30s", dir)
	}
	s.ns = ns
	return s, nil
}

// MaxPayload is the largest NATS message: 8 MiB. Objects are chunked
// below it; jobs and results are small.
const MaxPayload = 8 << 20

func randomSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// Connect opens an in-process connection (no network) as user.
func (s *Server) Connect(user, password string, opts ...nats.Option) (*nats.Conn, error) {
	opts = append([]nats.Option{nats.InProcessServer(s.ns), nats.UserInfo(user, password), nats.Name(user)}, opts...)
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to embedded nats as %s: %w", user, err)
	}
	return nc, nil
}

// ConnectCoordinator opens an in-process connection as CoordinatorUser.
func (s *Server) ConnectCoordinator(opts ...nats.Option) (*nats.Conn, error) {
	return s.Connect(CoordinatorUser, s.coordPass, opts...)
}

// ConnectWorker opens an in-process connection as WorkerUser, with the
// worker's inbox prefix.
func (s *Server) ConnectWorker(opts ...nats.Option) (*nats.Conn, error) {
	return s.Connect(WorkerUser, s.workPass, append([]nats.Option{nats.CustomInboxPrefix(WorkerInbox)}, opts...)...)
}

// WorkerURL is the URL a remote worker dials, with WorkerUser's
// credentials in it; empty without a listener.
func (s *Server) WorkerURL() string {
	u := s.ns.ClientURL()
	if u == "" || s.ns.Addr() == nil {
		return ""
	}
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	p.User = url.UserPassword(WorkerUser, s.workPass)
	return p.String()
}

// Close shuts the server down and waits for it.
func (s *Server) Close() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}
