// Command onnx is verdict's ONNX runtime guest: a WebAssembly reactor
// that implements the guest ABI v1 (see package sandbox) for any ONNX
// model verdict can run. `verdict pack` appends a model to it as the
// custom section "verdict.model"; the sandbox strips that section before
// compiling (so this code is compiled once for every ONNX submission) and
// hands the model to the instance through the ABI's model extension:
//
//	verdict_alloc(len) -> ptr; host writes the model there;
//	verdict_model_load(ptr, len) -> 0, or 1 with the reason on stderr
//
// before the first verdict_predict. The graph's input takes the task's
// features in ABI order, its first float output gives the predictions
// (see package graph).
//
// Build (make wasm runs build.sh):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -ldflags='-s -w -buildid=' -o runtime.wasm .
package main

func main() {}
