//go:build race

package httpapi_test

// raceEnabled: the race detector slows the engine's store about tenfold, so
// TestLoad runs a smaller default size under it (make test).
const raceEnabled = true
