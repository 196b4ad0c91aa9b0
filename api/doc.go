// Package api is the wire format of verdict's HTTP API: the bodies the
// server (internal/httpapi) sends and reads, and the client (package
// client) reads and sends, defined once for both.
//
// It sits beside the adapters, above the engine: the server and the
// client both import it, it imports only the engine (whose public types,
// such as engine.Submission and engine.Entry, are most of the wire
// format), and it never imports either side. It holds types and
// constants only: no behaviour, no I/O.
//
// internal/httpapi/openapi.json documents every body here; the route
// tests validate the server's answers against it.
//
// # Usage
//
//	var t api.Task
//	err := json.Unmarshal(body, &t)
package api
