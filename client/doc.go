// Package client is a typed Go client of verdict's HTTP API (`verdict
// serve`): one method per route, each taking and returning the wire types
// of package api and the engine's and the marketplace's public types.
//
// It sits beside internal/httpapi, on the other end of the wire: the CLI's
// --server mode and the tests use it, and so can any Go program. It
// imports api, market, engine and engine/credential, never an internal
// package.
//
// A Client acts as one of three callers, fixed at New:
//
//   - the host, with a bearer token (Config.Token, as `verdict token
//     create` prints it);
//   - a participant, with an Ed25519 key (Config.Key, as `verdict keygen`
//     writes it): every request is signed with HTTP Message Signatures
//     (RFC 9421) as README.md's "Signing requests" describes, by
//     credential.SignRequest;
//   - a visitor, with neither.
//
// A refusal by the server is an *Error carrying its HTTP status, its
// stable kind and its message; it unwraps to the engine's sentinel for
// that kind (errors.Is(err, engine.ErrNotFound)), so a caller handles a
// refusal over HTTP as it would the same refusal in-process.
//
// # Usage
//
//	c, err := client.New(client.Config{URL: "http://localhost:8080", Key: &key})
//	if err != nil { … }
//	acc, err := c.Upload(ctx, "iris", module, client.UploadOptions{Sign: true})
//	sub, err := c.Follow(ctx, acc.ID, func(ev api.StatusEvent) { … })
package client
