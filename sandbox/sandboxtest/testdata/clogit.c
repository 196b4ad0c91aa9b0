// clogit: the anchor model, a logistic regression on 20 weights with exp:
// y[i] = 1 / (1 + exp(-(B + sum_j W[j%20] * x[j][i]))). The same source is
// compiled to wasm here (Guest ABI v1 and v2 exports, -O3 -msimd128, as
// clinear.c) and natively with clang -O3 by bench/anchors (cgo), which
// defines CLOGIT_NATIVE to keep only clogit_predict:
//
//	clang --target=wasm32-wasi --sysroot=/usr -O3 -msimd128 -mexec-model=reactor \
//	    -o clogit.wasm clogit.c
//
// Feature j of row i is x[j*stride + i]; the prediction of row i goes to
// y[i] (one output).
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static const double CLOGIT_W[20] = {
	0.5, -0.25, 0.125, 1.5, -2.0, 0.75, 0.0625, -0.5, 3.0, -1.25,
	0.375, -0.875, 2.5, -0.0625, 0.25, 1.125, -1.5, 0.625, -0.375, 1.0,
};
static const double CLOGIT_B = 0.1;

// clogit_predict predicts rows rows whose columns are stride apart.
void clogit_predict(const double *x, int32_t rows, int32_t cols, int32_t stride, double *y) {
	for (int32_t i = 0; i < rows; i++) {
		y[i] = CLOGIT_B;
	}
	for (int32_t j = 0; j < cols; j++) {
		const double w = CLOGIT_W[j % 20];
		const double *c = x + (int64_t)j * stride;
		for (int32_t i = 0; i < rows; i++) {
			y[i] += w * c[i];
		}
	}
	for (int32_t i = 0; i < rows; i++) {
		y[i] = 1.0 / (1.0 + exp(-y[i]));
	}
}

#ifndef CLOGIT_NATIVE
__attribute__((export_name("verdict_alloc")))
int32_t verdict_alloc(int32_t size) {
	if (size <= 0) {
		return 0;
	}
	return (int32_t)(uintptr_t)aligned_alloc(8, ((size_t)size + 7) & ~(size_t)7);
}

__attribute__((export_name("verdict_predict")))
int32_t verdict_predict(const double *x, int32_t rows, int32_t cols, double *y, int32_t outs) {
	if (outs != 1) {
		return 1;
	}
	clogit_predict(x, rows, cols, rows, y);
	return 0;
}

__attribute__((export_name("verdict_predict_v2")))
int32_t verdict_predict_v2(const double *x, int32_t rows, int32_t cols, int32_t stride, double *y, int32_t outs) {
	if (outs != 1 || stride < rows) {
		return 1;
	}
	clogit_predict(x, rows, cols, stride, y);
	return 0;
}
#endif
