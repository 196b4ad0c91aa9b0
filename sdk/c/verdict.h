/*
 * verdict.h — the C SDK for verdict participants: the guest ABI (v1, and
 * v2 on request) in one header. Include it in exactly one .c file and write
 * verdict_model:
 *
 *     #include "verdict.h"
 *
 *     int verdict_model(const double *x, int rows, int cols, double *y, int outs) {
 *         for (int i = 0; i < rows; i++) y[i] = x[VERDICT_AT(0, i, rows)] > 0 ? 0.9 : 0.1;
 *         return 0;
 *     }
 *
 * Build a WASI reactor:
 *
 *     clang --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor \
 *           -o model.wasm model.c
 *
 * x is column-major: feature j of row i is x[j*rows + i] (VERDICT_AT);
 * missing values are NaN. Write outs columns to y the same way: binary ->
 * P(class 1), multiclass -> one probability per class, regression and
 * ranking -> one value. Return 0, or any other number as your error code.
 * The host calls verdict_model with any batch size, in any order: it must
 * be a pure function of each row.
 *
 * Guest ABI v2 (opt in): define VERDICT_ABI_V2 before the include and write
 * verdict_model_v2 instead, which gets a stride: feature j of row i is
 * x[j*stride + i] (VERDICT_AT(j, i, stride)), output k of row i goes to
 * y[k*stride + i]. The host then places whole feature columns in memory,
 * each on its own page, with one copy per column, and calls it once for
 * as many rows as fit (a shard of the task) instead of copying batches:
 *
 *     #define VERDICT_ABI_V2
 *     #include "verdict.h"
 *
 *     int verdict_model_v2(const double *x, int rows, int cols, int stride, double *y, int outs) {
 *         for (int i = 0; i < rows; i++) y[i] = x[VERDICT_AT(0, i, stride)] > 0 ? 0.9 : 0.1;
 *         return 0;
 *     }
 *
 * The module then exports verdict_predict too (calling verdict_model_v2
 * with stride == rows), so it also runs on hosts that know only v1.
 */
#ifndef VERDICT_H
#define VERDICT_H

#include <stdint.h>
#include <stdlib.h>

#define VERDICT_EXPORT(name) __attribute__((export_name(name), visibility("default")))

/* VERDICT_AT is the index of feature (or output) j of row i in a batch of rows. */
#define VERDICT_AT(j, i, rows) ((size_t)(j) * (size_t)(rows) + (size_t)(i))

#ifdef VERDICT_ABI_V2
/* verdict_model_v2 is the participant's model (ABI v2); see the top of this file. */
int verdict_model_v2(const double *x, int rows, int cols, int stride, double *y, int outs);
#else
/* verdict_model is the participant's model; see the top of this file. */
int verdict_model(const double *x, int rows, int cols, double *y, int outs);
#endif

/* verdict_alloc hands the host an 8-byte-aligned region, 0 on failure. */
VERDICT_EXPORT("verdict_alloc")
int32_t verdict_alloc(int32_t size) {
    if (size <= 0) return 0;
    void *p = aligned_alloc(8, ((size_t)size + 7) & ~(size_t)7);
    return (int32_t)(uintptr_t)p;
}

#ifdef VERDICT_ABI_V2
VERDICT_EXPORT("verdict_predict_v2")
int32_t verdict_predict_v2(int32_t x, int32_t rows, int32_t cols, int32_t stride, int32_t y, int32_t outs) {
    if (x == 0 || y == 0 || rows < 0 || cols < 0 || outs < 1 || stride < rows) return -1;
    return verdict_model_v2((const double *)(uintptr_t)x, rows, cols, stride, (double *)(uintptr_t)y, outs);
}

VERDICT_EXPORT("verdict_predict")
int32_t verdict_predict(int32_t x, int32_t rows, int32_t cols, int32_t y, int32_t outs) {
    return verdict_predict_v2(x, rows, cols, rows, y, outs);
}
#else
VERDICT_EXPORT("verdict_predict")
int32_t verdict_predict(int32_t x, int32_t rows, int32_t cols, int32_t y, int32_t outs) {
    if (x == 0 || y == 0 || rows < 0 || cols < 0 || outs < 1) return -1;
    return verdict_model((const double *)(uintptr_t)x, rows, cols, (double *)(uintptr_t)y, outs);
}
#endif

#endif /* VERDICT_H */
