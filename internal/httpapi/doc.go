// Package httpapi is verdict's HTTP API: a thin adapter that exposes the
// engine's rules over JSON, at the same level as cmd/verdict.
//
//	HTTP request -> httpapi (decode, viewer, encode) -> engine -> leaves
//
// It never re-implements a rule: who may see what is the engine's Viewer,
// and every refusal is an engine error mapped to an HTTP status. This first
// slice serves the public, read-only face of verdict — what an anonymous
// visitor may see: tasks, their schedule state, the public leaderboard
// (the private one once a task is closed), and submissions as others see
// them. Errors are JSON {"error": {"kind", "message"}}.
//
// # Usage
//
//	srv := &http.Server{Addr: "127.0.0.1:8080", Handler: httpapi.New(e, logger)}
//	srv.ListenAndServe()
package httpapi
