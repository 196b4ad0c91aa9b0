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
// Its tools read the marketplace and measure its models; only predict
// leaves a trace (a receipt in the usage ledger):
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
//   - predict: metered use of a listed model on the agent's rows (CSV
//     text, bounded by MaxPredictCSV and MaxPredictRows), counted
//     against the caller's daily quota and recorded in the usage ledger
//     (market.PredictMetered); the answer holds the outputs and the
//     receipt with its inclusion proof and signed checkpoint.
//
// predict needs a caller to meter the call to: over stdio the one fixed
// at start (Config.Caller, `verdict mcp --key FILE`), over HTTP the one
// the adapter authenticated for the request (WithCaller: a buyer token,
// a host token, a did:key signature). Without one it is refused
// (ErrNoCaller, with Config.NoCaller saying how to be one); the other
// tools stay public.
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
// stored or logged; predict's rows are run and forgotten too, the ledger
// keeping only a salted digest of them.
//
// # Usage
//
//	s := mcpserver.New(mcpserver.Config{Market: mk, Version: version, Caller: key.DID()})
//	err := s.Run(ctx, &mcp.StdioTransport{})      // verdict mcp --key FILE
//	h := mcpserver.Handler(s)                     // verdict serve, at /mcp:
//	h.ServeHTTP(w, r.WithContext(mcpserver.WithCaller(r.Context(), did)))
package mcpserver
