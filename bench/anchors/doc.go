// Package anchors benchmarks verdict's sandbox against honest anchors: the
// same C model (sandbox/sandboxtest/testdata/clogit.c, a logistic
// regression with exp on 20 features) compiled natively by clang -O3
// through cgo, and the same wasm module run by wasmtime (wasmtime-go, with
// the same Guest ABI, host code in Go). It is a module of its own so that
// neither cgo nor wasmtime's library enter verdict's build.
//
// # Usage
//
//	$ make bench-anchors   # CC=clang go test -run '^$' -bench . -benchtime 5x
package anchors
