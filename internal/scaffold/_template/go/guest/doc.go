// Package guest is the Go SDK for verdict participants: it implements the
// guest ABI v1 and v2 (see the sandbox package) so that a model is one Go
// function.
//
// It lives on the participant's side of the pipeline:
//
//	your Go model + guest -> GOOS=wasip1 go build -buildmode=c-shared -> model.wasm
//	-> verdict submit -> sandbox -> predictions -> score
//
// The module path is not published, so go get cannot fetch it: run
// `verdict init model --lang go DIR`, which writes this package to
// DIR/guest and a go.mod that points the import at it (replace
// github.com/verdictlab/verdict/sdk/guest => ./guest), with a model,
// a Makefile and sample rows. Register a PredictFunc in init, build a
// WASI reactor, and submit:
//
//	package main
//
//	import (
//		"math"
//
//		"github.com/verdictlab/verdict/sdk/guest"
//	)
//
//	func init() {
//		guest.Register(func(b guest.Batch) error {
//			x0, y := b.Feature(0), b.Output(0)
//			for i := range y {
//				y[i] = 1 / (1 + math.Exp(-x0[i]))
//			}
//			return nil
//		})
//	}
//
//	func main() {}
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o model.wasm .
//
// On wasip1 the package exports verdict_alloc, verdict_predict_v2 and
// verdict_predict: a host that knows Guest ABI v2 places whole feature
// columns in memory and calls the model once for as many rows as fit, with
// columns Batch.Stride apart (read them with Feature and Output); an older
// host calls verdict_predict in batches, Stride == Rows. The
// buffers it hands out stay referenced for the life of the instance, so
// the garbage collector never moves or frees memory the host writes to.
// A PredictFunc that returns an error makes verdict_predict return
// CodeError and prints the error to stderr, which verdict shows the
// participant; a panic is reported by the sandbox as a trap with the panic
// message. On other platforms Run calls the registered function exactly as
// the host would, so a model can be tested natively with go test.
//
// The package never reads files, the clock or entropy: a model must be a
// pure function of each row.
package guest
