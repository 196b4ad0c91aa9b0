package sandbox

import (
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// ModelSection is the name of the custom section that carries a model's
// data (an ONNX graph, see package onnx) inside a runtime module: `verdict
// pack` appends it to the fixed ONNX runtime. Compile strips it before
// compiling, so every module that differs only in this section shares one
// compilation (wazero's in-memory and on-disk caches are keyed by the
// bytes compiled), and Run hands it to each instance (the model
// extension of the ABI, see doc.go).
const ModelSection = "verdict.model"

// sigModelLoad is verdict_model_load(ptr i32, len i32) -> i32.
var sigModelLoad = signature{[]api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, []api.ValueType{api.ValueTypeI32}}

// splitModel removes the ModelSection custom section from b and returns
// the module without it and the section's payload (nil if absent). Two
// such sections are refused. Sections are walked with bounds checks
// only: scanModule checks the rest.
func splitModel(b []byte) (code, model []byte, err error) {
	if len(b) < 8 {
		return b, nil, nil
	}
	r := reader{b: b, off: 8}
	from, to := -1, -1
	for r.off < len(r.b) {
		start := r.off
		id, err := r.byte()
		if err != nil {
			return b, nil, nil // scanModule reports it
		}
		size, err := r.u32()
		if err != nil {
			return b, nil, nil
		}
		payload, err := r.bytes(uint64(size))
		if err != nil {
			return b, nil, nil
		}
		if id != 0 {
			continue
		}
		s := reader{b: payload}
		name, err := s.name()
		if err != nil || name != ModelSection {
			continue
		}
		if from >= 0 {
			return nil, nil, errors.New("two " + ModelSection + " custom sections")
		}
		from, to, model = start, r.off, payload[s.off:]
	}
	if from < 0 {
		return b, nil, nil
	}
	code = make([]byte, 0, len(b)-(to-from))
	code = append(append(code, b[:from]...), b[to:]...)
	return code, model, nil
}

// loadModel hands the model to a fresh instance: verdict_alloc(len), the
// bytes copied there, then verdict_model_load(ptr, len), which must
// return 0 (the guest explains a refusal on stderr).
func (g *guest) loadModel(mod api.Module, model []byte) error {
	p, err := g.allocate(mod, "the model", uint64(len(model)))
	if err != nil {
		return err
	}
	if !g.mem.Write(p, model) {
		return g.abi("verdict_alloc", "model buffer outside memory")
	}
	if err := g.call(mod.ExportedFunction("verdict_model_load"), "verdict_model_load", []uint64{uint64(p), uint64(len(model))}); err != nil {
		return err
	}
	if code := int32(uint32(g.stack[0])); code != 0 {
		return g.failWith(&Error{Kind: KindGuestError, Func: "verdict_model_load", Code: code,
			Msg: fmt.Sprintf("model refused: verdict_model_load returned error code %d", code)})
	}
	return nil
}

// checkModelExport refuses a module that carries a model but cannot load
// one.
func checkModelExport(code wazero.CompiledModule) error {
	def, ok := code.ExportedFunctions()["verdict_model_load"]
	if !ok {
		return &Error{Kind: KindABI, Msg: "abi: the module carries a " + ModelSection +
			" section but does not export verdict_model_load(ptr i32, len i32) -> i32 to load it; pack models with `verdict pack`"}
	}
	if got := (signature{def.ParamTypes(), def.ResultTypes()}); !got.equal(sigModelLoad) {
		return &Error{Kind: KindABI, Msg: fmt.Sprintf("abi: verdict_model_load has signature %s, want %s", got, sigModelLoad)}
	}
	return nil
}
