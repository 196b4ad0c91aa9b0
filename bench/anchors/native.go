package anchors

// #cgo CFLAGS: -O3 -DCLOGIT_NATIVE
// #cgo LDFLAGS: -lm
// #include "../../sandbox/sandboxtest/testdata/clogit.c"
//
// static const char *clogit_compiler(void) {
// #ifdef __clang__
// 	return "clang " __clang_version__;
// #else
// 	return "not clang";
// #endif
// }
import "C"

import (
	"strings"
	"unsafe"
)

// NativePredict runs clogit.c compiled natively on x, column-major with
// stride rows between columns, writing len(y) predictions to y.
func NativePredict(x []float64, cols, stride int, y []float64) {
	if len(y) == 0 {
		return
	}
	C.clogit_predict((*C.double)(unsafe.Pointer(&x[0])), C.int32_t(len(y)), C.int32_t(cols), C.int32_t(stride),
		(*C.double)(unsafe.Pointer(&y[0])))
}

// Compiler names the C compiler cgo used; the anchor wants clang.
func Compiler() string { return C.GoString(C.clogit_compiler()) }

// IsClang reports whether cgo compiled clogit.c with clang.
func IsClang() bool { return strings.HasPrefix(Compiler(), "clang") }
