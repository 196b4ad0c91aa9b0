// Package mcpserver serves the marketplace to AI agents over the Model
// Context Protocol (MCP), with the official Go SDK
// (github.com/modelcontextprotocol/go-sdk): `verdict mcp` speaks it on
// stdio, and `verdict serve` mounts it at /mcp (streamable HTTP).
//
// It is an adapter, like internal/httpapi and cmd/verdict, over one
// package:
//
//	cmd/verdict, internal/httpapi -> internal/mcpserver -> market -> engine -> leaves
//
// Its tools read the marketplace and measure its models; none changes
// anything:
//
//   - search_models: filter by task type, metric, minimum certified
//     score, input feature names and text (market.Query).
//   - get_model_card: a model's card (what it reads, writes, scored,
//     who made it, under what license).
//   - verify_model: check a model's credential now (market.Verify):
//     signatures, module hash, card, revocation.
//   - rank_models_on_sample: the agent's small labelled sample (CSV
//     text) scored by every matching certified model in the sandbox,
//     ranked by the metric with bootstrap intervals (market.Rank).
//
// Resources: verdict://models/{id}/card (the signed card) and
// verdict://models/{id}/credential (the signed W3C credential).
//
// Every answer about a model says who certified it (the issuer's
// did:key) and whether that issuer is trusted by this marketplace, with
// the registry's name for it. Every input is bounded (Max* constants):
// a longer text, more features or a larger sample is refused with an
// error naming the argument and the bound, before any work.
//
// It never reveals more than the public marketplace API does (cards,
// credentials, scores already published): no task data, labels or
// submissions; the sample an agent sends is scored and forgotten, never
// stored or logged. Metered prediction (a `predict` tool) is not here.
//
// # Usage
//
//	s := mcpserver.New(mcpserver.Config{Market: mk, Version: version})
//	err := s.Run(ctx, &mcp.StdioTransport{})      // verdict mcp
//	mux.Handle("/mcp", mcpserver.Handler(s))      // verdict serve
package mcpserver
