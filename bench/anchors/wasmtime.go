package anchors

import (
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// Wasmtime runs a Guest ABI module under wasmtime the way verdict's
// sandbox does: a fresh instance per Run, _initialize, verdict_alloc for x
// and y, then either verdict_predict_v2 once per window of whole columns
// (v2) or verdict_predict on batches copied one by one (v1).
type Wasmtime struct {
	engine *wasmtime.Engine
	module *wasmtime.Module
}

// NewWasmtime compiles wasm with wasmtime's default configuration
// (Cranelift, optimized for speed).
func NewWasmtime(wasm []byte) (*Wasmtime, error) {
	engine := wasmtime.NewEngine()
	module, err := wasmtime.NewModule(engine, wasm)
	if err != nil {
		return nil, fmt.Errorf("wasmtime: compile: %w", err)
	}
	return &Wasmtime{engine: engine, module: module}, nil
}

// Run predicts one output per row of cols into y, with ABI v2 in windows
// of batch rows when v2 is set, else ABI v1 in batches of batch rows.
func (w *Wasmtime) Run(cols [][]float64, y []float64, v2 bool, batch int) error {
	store := wasmtime.NewStore(w.engine)
	defer store.Close()
	inst, err := wasmtime.NewInstance(store, w.module, nil)
	if err != nil {
		return fmt.Errorf("wasmtime: instantiate: %w", err)
	}
	if f := inst.GetFunc(store, "_initialize"); f != nil {
		if _, err := f.Call(store); err != nil {
			return err
		}
	}
	alloc := inst.GetFunc(store, "verdict_alloc")
	mem := inst.GetExport(store, "memory").Memory()
	rows, nc := len(y), len(cols)
	call := func(f *wasmtime.Func, args ...any) (int32, error) {
		r, err := f.Call(store, args...)
		if err != nil {
			return 0, err
		}
		return r.(int32), nil
	}
	if v2 {
		// As verdict's sandbox does: windows of at most window rows, each
		// column copied once per window, one call per window.
		window := min(rows, batch)
		stride := (window + 511) &^ 511
		xBase, err := call(alloc, int32(8*nc*stride+4096))
		if err != nil {
			return err
		}
		yBase, err := call(alloc, int32(8*stride+4096))
		if err != nil || xBase == 0 || yBase == 0 {
			return errors.Join(err, errors.New("wasmtime: verdict_alloc failed"))
		}
		xp, yp := (xBase+4095)&^4095, (yBase+4095)&^4095
		predict := inst.GetFunc(store, "verdict_predict_v2")
		for start := 0; start < rows; start += window {
			n := min(window, rows-start)
			data := mem.UnsafeData(store)
			for j, c := range cols {
				copy(data[int(xp)+8*j*stride:], floatBytes(c[start:start+n]))
			}
			code, err := call(predict, xp, int32(n), int32(nc), int32(stride), yp, int32(1))
			if err != nil || code != 0 {
				return errors.Join(err, fmt.Errorf("wasmtime: verdict_predict_v2 returned %d", code))
			}
			data = mem.UnsafeData(store)
			copy(floatBytes(y[start:start+n]), data[yp:int(yp)+8*n])
		}
		return check(y)
	}
	batch = min(batch, rows)
	xp, err := call(alloc, int32(8*nc*batch))
	if err != nil {
		return err
	}
	yp, err := call(alloc, int32(8*batch))
	if err != nil || xp == 0 || yp == 0 {
		return errors.Join(err, errors.New("wasmtime: verdict_alloc failed"))
	}
	predict := inst.GetFunc(store, "verdict_predict")
	for start := 0; start < rows; start += batch {
		n := min(batch, rows-start)
		data := mem.UnsafeData(store)
		for j, c := range cols {
			copy(data[int(xp)+8*j*n:], floatBytes(c[start:start+n]))
		}
		code, err := call(predict, xp, int32(n), int32(nc), yp, int32(1))
		if err != nil || code != 0 {
			return errors.Join(err, fmt.Errorf("wasmtime: verdict_predict returned %d", code))
		}
		data = mem.UnsafeData(store)
		copy(floatBytes(y[start:start+n]), data[yp:int(yp)+8*n])
	}
	return check(y)
}

// check refuses non-finite predictions, as the sandbox does.
func check(y []float64) error {
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("row %d: prediction %v", i, v)
		}
	}
	return nil
}

func floatBytes(f []float64) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), 8*len(f))
}
