package onnx

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"sync"
)

//go:generate bash ../guests/onnx/build.sh

// runtimeWasm is verdict's ONNX runtime guest, built from ../guests/onnx
// by its build.sh (make wasm).
//
//go:embed runtime.wasm
var runtimeWasm []byte

// Section is the custom section that carries the model (the sandbox's
// ModelSection; this package does not import sandbox).
const Section = "verdict.model"

// MaxModelBytes bounds the ONNX bytes Pack and Inspect accept: with the
// runtime (about 25 MB) the module stays under the sandbox's default
// module limit of 64 MiB.
const MaxModelBytes = 32 << 20

// Runtime returns the ONNX runtime module without a model.
func Runtime() []byte { return bytes.Clone(runtimeWasm) }

var wasmMagic = []byte{0, 'a', 's', 'm'}

// IsWasm reports whether b starts like a WebAssembly binary (an ONNX
// model, a protobuf, never does: its first byte would be field 0).
func IsWasm(b []byte) bool { return bytes.HasPrefix(b, wasmMagic) }

// Pack checks model with Inspect and returns the runtime with model
// appended as the Section custom section. The result is a valid module;
// packing the same bytes twice gives the same module.
func Pack(model []byte) ([]byte, error) {
	if _, err := Inspect(model); err != nil {
		return nil, err
	}
	name := []byte(Section)
	nameLen := binary.AppendUvarint(nil, uint64(len(name)))
	payload := uint64(len(nameLen)) + uint64(len(name)) + uint64(len(model))
	hdr := []byte{0} // custom section
	hdr = binary.AppendUvarint(hdr, payload)
	hdr = binary.AppendUvarint(hdr, uint64(len(name)))
	hdr = append(hdr, name...)
	out := make([]byte, 0, len(runtimeWasm)+len(hdr)+len(model))
	out = append(append(append(out, runtimeWasm...), hdr...), model...)
	return out, nil
}

// Unpack returns the model a module carries, or false. It walks the
// module's sections with bounds checks only.
func Unpack(wasm []byte) ([]byte, bool) {
	if !IsWasm(wasm) || len(wasm) < 8 {
		return nil, false
	}
	off := 8
	for off < len(wasm) {
		id := wasm[off]
		off++
		size, n := binary.Uvarint(wasm[off:])
		if n <= 0 || size > uint64(len(wasm)-off-n) {
			return nil, false
		}
		off += n
		sec := wasm[off : off+int(size)]
		off += int(size)
		if id != 0 {
			continue
		}
		l, m := binary.Uvarint(sec)
		if m <= 0 || l > uint64(len(sec)-m) {
			continue
		}
		if string(sec[m:m+int(l)]) == Section {
			return sec[m+int(l):], true
		}
	}
	return nil, false
}

// runtimeSHA256 is computed once, on first use: hashing the 25 MB runtime
// at every process start would tax each CLI command and sandbox child.
var runtimeSHA256 = sync.OnceValue(func() string {
	sum := sha256.Sum256(runtimeWasm)
	return hex.EncodeToString(sum[:])
})

// RuntimeSHA256 is the SHA-256 (hex) of the runtime without a model: the
// code every packed module shares, which a host lists in
// sandbox.Config.TrustedCode so that its one cold compilation is not
// held to a participant's compile limit.
func RuntimeSHA256() string { return runtimeSHA256() }
