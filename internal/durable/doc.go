// Package durable writes files so that they survive a crash or a power
// cut whole or not at all: the content goes to a temporary file in the
// destination's directory, which is synced, then renamed (or linked) into
// place, and the directory is synced so that the new name survives too.
// Without the last step a credential, a token or a stored module could
// vanish after a power cut while the store's record of it survives.
//
// It sits below everything that keeps files in a data dir: engine (stored
// modules, credentials, status lists), datasets (saved datasets),
// engine/credential (key files) and internal/httpapi (host tokens). It
// imports only the standard library, and never leaves a temporary file
// behind when it fails.
//
// # Usage
//
//	if err := durable.WriteFile(path, data, 0o600); err != nil {
//		return fmt.Errorf("store module %q: %w", id, err)
//	}
//	err := durable.Write(path, 0o600, func(w io.Writer) error {
//		return encode(w, table) // streamed, never held whole
//	})
package durable
