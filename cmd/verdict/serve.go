package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/internal/httpapi"
)

// shutdownGrace bounds how long serve waits for requests in flight on
// SIGTERM.
const shutdownGrace = 10 * time.Second

func newServeCmd(g *globals) *cobra.Command {
	var addr string
	c := &cobra.Command{
		Use:   "serve [--addr HOST:PORT]",
		Short: "serve the HTTP API (public, read-only for now) over the data dir",
		Long: `Serve opens the data dir, evaluates again whatever a crash left queued or
running, and serves the HTTP API: GET /healthz, /v1/tasks, /v1/tasks/{id},
/v1/tasks/{id}/leaderboard and /v1/submissions/{id}, as an anonymous visitor
may see them. On SIGTERM or interrupt it stops accepting, lets requests in
flight finish (up to 10 s) and closes the store.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			log := slog.New(slog.NewJSONHandler(g.stderr, nil))
			e, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer e.Close(context.WithoutCancel(ctx))
			if n, err := e.Recover(ctx); err != nil {
				return fmt.Errorf("recover: %w", err)
			} else if n > 0 {
				log.Info("recovered", "submissions", n)
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return badInput(err)
			}
			srv := &http.Server{
				Handler:           httpapi.New(e, log),
				ReadHeaderTimeout: 10 * time.Second,
				ReadTimeout:       time.Minute,
				WriteTimeout:      time.Minute,
				IdleTimeout:       2 * time.Minute,
				MaxHeaderBytes:    64 << 10,
			}
			fmt.Fprintf(g.stdout, "listening on http://%s\n", ln.Addr())
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ln) }()
			select {
			case err := <-done:
				return err
			case <-ctx.Done():
			}
			log.Info("shutting down", "grace", shutdownGrace.String())
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
			defer cancel()
			if err := srv.Shutdown(sctx); err != nil {
				return fmt.Errorf("shutdown: %w", err)
			}
			if err := <-done; !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	c.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	return c
}
