package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/client"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/internal/durable"
)

// The CLI as a client of `verdict serve`: with --server URL, or on the
// data dir of a running server (which records its address in
// DATA_DIR/serve.json), a command acts through the HTTP API (package
// client) instead of opening the store, with the same output. It acts as
// the host with env VERDICT_TOKEN (or, on a served data dir, the token the
// server left in DATA_DIR/serve.token, mode 0600), as a participant with
// --key (every request signed), else as a visitor.

const serverUsage = "act as a client of the verdict serve at this `URL` (host with env VERDICT_TOKEN, participant with --key)"

const keyUsage = "with --server: act as this key's participant, signing every request (verdict keygen)"

// Files a running server keeps in its data dir.
const (
	// serveFile records the server's address and pid (serveInfo).
	serveFile = "serve.json"
	// serveTokenFile holds a host token for the CLI beside the server
	// (mode 0600), revoked when the server stops.
	serveTokenFile = "serve.token"
	// serveTokenName names that token in DATA_DIR/tokens.
	serveTokenName = "serve-cli"
)

// serveInfo is DATA_DIR/serve.json.
type serveInfo struct {
	URL string `json:"url"`
	PID int    `json:"pid"`
}

// serverFlags adds --server (and --key) to c.
func (g *globals) serverFlags(c *cobra.Command, key bool) {
	c.Flags().StringVar(&g.server, "server", "", serverUsage)
	if key {
		c.Flags().StringVar(&g.keyFile, "key", "", keyUsage)
	}
}

// remoteClient returns the client a command acts through: of --server, or
// of the server running on the data dir; nil (and no error) when the
// command should open the data dir itself.
func (g *globals) remoteClient(ctx context.Context) (*client.Client, error) {
	cfg := client.Config{URL: g.server, Token: os.Getenv("VERDICT_TOKEN")}
	if g.server == "" {
		info, token, ok := served(ctx, g.dataDir)
		if !ok {
			return nil, nil
		}
		cfg.URL, cfg.Token = info.URL, token
	}
	if g.keyFile != "" {
		k, err := credential.ReadKeyFile(g.keyFile)
		if err != nil {
			return nil, badInput(err)
		}
		cfg.Key, cfg.Token = &k, ""
	}
	c, err := client.New(cfg)
	if err != nil {
		return nil, badInput(fmt.Errorf("--server: %w", err))
	}
	return c, nil
}

// served reports the server running on dataDir, if any, and the host
// token it left for the CLI. A serve.json whose process is gone or whose
// server does not answer is stale and ignored.
func served(ctx context.Context, dataDir string) (serveInfo, string, bool) {
	var info serveInfo
	b, err := os.ReadFile(filepath.Join(dataDir, serveFile))
	if err != nil || json.Unmarshal(b, &info) != nil || info.URL == "" {
		return info, "", false
	}
	if info.PID > 0 && processGone(info.PID) {
		return info, "", false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", info.URL+"/healthz", nil)
	if err != nil {
		return info, "", false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return info, "", false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return info, "", false
	}
	token, _ := os.ReadFile(filepath.Join(dataDir, serveTokenFile))
	return info, string(trimSpace(token)), true
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

// either runs remote through the server when there is one (--server, or
// a served data dir), else local over the opened data dir.
func (g *globals) either(local func(cmd *cobra.Command, args []string, e *engine.Engine) error,
	remote func(cmd *cobra.Command, args []string, c *client.Client) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		c, err := g.remoteClient(cmd.Context())
		if err != nil {
			return err
		}
		if c == nil {
			if g.keyFile != "" {
				return badInput(errors.New("--key acts on a server: give --server URL"))
			}
			return g.withEngine(local)(cmd, args)
		}
		return remoteErr(remote(cmd, args, c))
	}
}

// remoteErr makes a server's 4xx refusal bad input (exit 2), as the same
// refusal in-process is.
func remoteErr(err error) error {
	var ce *client.Error
	if errors.As(err, &ce) && ce.Status >= 400 && ce.Status < 500 {
		var ee *exitError
		if !errors.As(err, &ee) {
			return badInput(err)
		}
	}
	return err
}

// errNoRemote refuses a flag that has no meaning against a server.
func errNoRemote(flag string) error {
	return badInput(errors.New(flag + " cannot be used with --server (or on the data dir of a running verdict serve)"))
}

// taskView is the task as the printers take it, from the engine or the
// server: the same value either way (api.NewTask).
func taskView(e *engine.Engine, id string) (*api.Task, error) {
	t, err := e.Task(id)
	if err != nil {
		return nil, badInput(err)
	}
	st, err := e.TaskState(id)
	if err != nil {
		return nil, err
	}
	v := api.NewTask(*t, st)
	return &v, nil
}

// writeServeFiles records a running server in the data dir: its address
// (serve.json) and a fresh host token for the CLI (serve.token, 0600). The
// returned func removes both and revokes the token.
func writeServeFiles(dataDir, url, token string) (func(), error) {
	b, err := json.Marshal(serveInfo{URL: url, PID: os.Getpid()})
	if err != nil {
		return nil, err
	}
	tokenPath, infoPath := filepath.Join(dataDir, serveTokenFile), filepath.Join(dataDir, serveFile)
	if err := durable.WriteFile(tokenPath, []byte(token+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("record the server's host token: %w", err)
	}
	if err := durable.WriteFile(infoPath, append(b, '\n'), 0o644); err != nil {
		os.Remove(tokenPath)
		return nil, fmt.Errorf("record the server's address: %w", err)
	}
	return func() {
		os.Remove(infoPath)
		os.Remove(tokenPath)
	}, nil
}
