// c_command: a C guest built as a WASI command (clang's default, -mexec-model
// was left out), as a participant following a C tutorial would:
//
//	clang --target=wasm32-wasi --sysroot=/usr -O2 -o c_command.wasm c_command.c
//
// It exports _start (from main) and the ABI but no _initialize. wasm-ld
// wraps each export of a command to run the C constructors before it and
// the destructors after, on every call: the sandbox must refuse it at
// validation and say how to build a reactor, as the docs say.
#include <stdint.h>
#include <stdlib.h>

__attribute__((export_name("verdict_alloc")))
int32_t verdict_alloc(int32_t size) {
	if (size <= 0) {
		return 0;
	}
	return (int32_t)(uintptr_t)aligned_alloc(8, ((size_t)size + 7) & ~(size_t)7);
}

// verdict_predict predicts 0.5 everywhere.
__attribute__((export_name("verdict_predict")))
int32_t verdict_predict(const double *x, int32_t rows, int32_t cols, double *y, int32_t outs) {
	(void)x;
	(void)cols;
	for (int32_t i = 0; i < rows * outs; i++) {
		y[i] = 0.5;
	}
	return 0;
}

int main(void) { return 0; }
