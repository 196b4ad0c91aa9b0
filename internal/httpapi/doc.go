// Package httpapi is verdict's HTTP API: a thin adapter that exposes the
// engine's rules over JSON, at the same level as cmd/verdict.
//
//	HTTP request -> httpapi (caller, limits, body, decode) -> engine -> leaves
//	                                    \-> Config.Pages (internal/web) for non-API paths
//
// It never re-implements a rule: who may see what is the engine's Viewer,
// and every refusal is an engine error mapped to an HTTP status and a
// stable kind, in a JSON body {"error": {"kind", "message"}}. It never
// runs a guest itself: an upload is queued with engine.Enqueue and answered
// 202 with the submission id; its progress is a server-sent event stream
// that polls the stored status.
//
// Three roles (auth.go):
//
//   - the host, with a bearer token made by CreateToken (verdict token
//     create, verdict serve --init); only its SHA-256 is kept, in
//     DATA_DIR/tokens (0600), and it is compared in constant time;
//   - a participant, who signs each request with their did:key under HTTP
//     Message Signatures (RFC 9421, ed25519; credential.SignRequest) and is
//     that DID: they act only as themself, and a nonce is accepted once;
//   - a visitor, who reads tasks, public leaderboards (the private one
//     after close), teams, credentials and the status list.
//
// Invite-only and unlisted tasks (access.go; the rules are the engine's):
// whoever is not admitted is refused 403 not_admitted with the rule, and
// an unlisted task answers them 404 exactly as an absent one.
//
// The caller is known from the headers before a byte of the body is read
// (a signature covers the Content-Digest, checked as the body streams):
// a body is read only once its caller may send it, after the rate limits
// (by who signs; anonymous callers spend their address's own budget), and
// within the bytes in flight allowed per client and in total (limits.go).
// It never buffers a body it is about to refuse.
//
// The bodies it sends and reads are package api's types, which the Go
// client (package client) shares; it imports the engine and the
// marketplace above it (package market, for /v1/market: Config.Market) and
// none of the leaves under them (TestImportsOnlyEngine). The routes are listed in
// routes.go and documented in openapi.json (served at /openapi.json; a
// test keeps the two equal). /metrics serves Prometheus
// metrics (metrics.go), /healthz liveness.
//
// # Usage
//
//	api, err := httpapi.New(httpapi.Config{Engine: e, Log: log, DataDir: dir, Pages: pages})
//	srv := &http.Server{Addr: "127.0.0.1:8080", Handler: api}
//	srv.RegisterOnShutdown(api.CloseStreams)
//	go srv.ListenAndServe()
//	...
//	srv.Shutdown(ctx) // then e.Drain(ctx), e.Close(ctx)
package httpapi
