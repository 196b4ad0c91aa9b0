// clinear: a C linear model with 20 weights, the benchmark guest
// (clang + wasi-libc, reactor), built as a participant tuning for speed
// would, with -O3 and wasm SIMD (clang vectorizes the loops to f64x2;
// without FMA, so results stay bit-identical):
//
//	clang --target=wasm32-wasi --sysroot=/usr -O3 -msimd128 -mexec-model=reactor \
//	    -o clinear.wasm clinear.c
//
// y[k][i] = B + sum_j W[j%20] * x[j][i] + k, summed column by column in
// feature order; sandboxtest.WeightedPredict computes the same sums in the
// same order, so results are bit-identical.
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

__attribute__((export_name("verdict_predict")))
int32_t verdict_predict(const double *x, int32_t rows, int32_t cols, double *y, int32_t outs) {
	for (int32_t i = 0; i < rows; i++) {
		y[i] = B;
	}
	for (int32_t j = 0; j < cols; j++) {
		const double w = W[j % 20];
		const double *c = x + (int64_t)j * rows;
		for (int32_t i = 0; i < rows; i++) {
			y[i] += w * c[i];
		}
	}
	for (int32_t k = 1; k < outs; k++) {
		double *yk = y + (int64_t)k * rows;
		for (int32_t i = 0; i < rows; i++) {
			yk[i] = y[i] + k;
		}
	}
	return 0;
}
