// Package issuer is verdict's VC-API issuer: it signs credentials a
// caller supplies (POST /credentials/issue) with a key of its own, and
// keeps their Bitstring Status Lists, one per statusPurpose.
//
// It sits beside the engine, not inside it: the engine certifies models
// with the host key (DIR/host.key) and its own revocation list; this
// package signs whatever claims the host asks it to, so it has its own
// did:key (DIR/issuer.key, 0600) and its own lists, and a credential it
// signs can never pass for a certification. It imports engine/credential
// and internal/durable only; it never runs a guest or touches the store.
//
// Its state is DIR/issuer/status.json (each list's bits, next index and
// the ids of the credentials on it), replaced atomically on every change,
// under one lock.
//
// # Usage
//
//	is, err := issuer.Open(issuer.Config{DataDir: dir, BaseURL: "https://verdict.example"})
//	signed, err := is.Issue(unsignedJSON, issuer.Options{StatusPurpose: "revocation"})
//	err = is.SetStatus("urn:uuid:…", "revocation", true)
//	list, err := is.StatusList("revocation") // served at is.ListURL("revocation")
package issuer
