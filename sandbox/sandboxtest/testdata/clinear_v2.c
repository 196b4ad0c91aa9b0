// clinear_v2: CLinear (clinear.c) under Guest ABI v2 only: it exports
// verdict_predict_v2 and no verdict_predict, so the host places whole,
// page-aligned feature columns in its memory and calls it once per window
// of rows. Built like clinear.c, with -O3 -msimd128:
//
//	clang --target=wasm32-wasi --sysroot=/usr -O3 -msimd128 -mexec-model=reactor \
//	    -o clinear_v2.wasm clinear_v2.c
//
// Feature j of row i is x[j*stride + i] and output k of row i goes to
// y[k*stride + i]; the sums are CLinear's, in the same order, so results
// are bit-identical to sandboxtest.WeightedPredict.
#include <stdint.h>
#include <stdlib.h>

static const double W[20] = {
	0.5, -0.25, 0.125, 1.5, -2.0, 0.75, 0.0625, -0.5, 3.0, -1.25,
	0.375, -0.875, 2.5, -0.0625, 0.25, 1.125, -1.5, 0.625, -0.375, 1.0,
};
static const double B = 0.1;

__attribute__((export_name("verdict_alloc")))
int32_t verdict_alloc(int32_t size) {
	if (size <= 0) {
		return 0;
	}
	return (int32_t)(uintptr_t)aligned_alloc(8, ((size_t)size + 7) & ~(size_t)7);
}

__attribute__((export_name("verdict_predict_v2")))
int32_t verdict_predict_v2(const double *x, int32_t rows, int32_t cols, int32_t stride, double *y, int32_t outs) {
	if (stride < rows) {
		return 1;
	}
	for (int32_t i = 0; i < rows; i++) {
		y[i] = B;
	}
	for (int32_t j = 0; j < cols; j++) {
		const double w = W[j % 20];
		const double *c = x + (int64_t)j * stride;
		for (int32_t i = 0; i < rows; i++) {
			y[i] += w * c[i];
		}
	}
	for (int32_t k = 1; k < outs; k++) {
		double *yk = y + (int64_t)k * stride;
		for (int32_t i = 0; i < rows; i++) {
			yk[i] = y[i] + k;
		}
	}
	return 0;
}
