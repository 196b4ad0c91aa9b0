//go:build race

package examples_test

// Under the race detector wazero's optimizing compiler takes tens of
// seconds per Go module, so race builds run the guests in wazero's
// interpreter instead; both engines implement IEEE float64 arithmetic,
// so the bit-for-bit checks hold either way.
const raceEnabled = true
