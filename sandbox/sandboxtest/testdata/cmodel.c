// cmodel: a C guest fixture built as a WASI reactor with clang and wasi-libc.
//
//	clang --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor \
//	    -o cmodel.wasm cmodel.c
//
// It predicts y[k][i] = max_j x[j][i] + k (NaN features are skipped; a row of
// only NaNs predicts k).
#include <stdint.h>
#include <stdlib.h>

__attribute__((export_name("verdict_alloc")))
int32_t verdict_alloc(int32_t size) {
	if (size <= 0) {
		return 0;
	}
	void *p = aligned_alloc(8, ((size_t)size + 7) & ~(size_t)7);
	return (int32_t)(uintptr_t)p;
}

__attribute__((export_name("verdict_predict")))
int32_t verdict_predict(const double *x, int32_t rows, int32_t cols, double *y, int32_t outs) {
	for (int32_t i = 0; i < rows; i++) {
		double m = 0;
		int seen = 0;
		for (int32_t j = 0; j < cols; j++) {
			double v = x[(int64_t)j * rows + i];
			if (v != v) {
				continue;
			}
			if (!seen || v > m) {
				m = v;
				seen = 1;
			}
		}
		for (int32_t k = 0; k < outs; k++) {
			y[(int64_t)k * rows + i] = m + k;
		}
	}
	return 0;
}
