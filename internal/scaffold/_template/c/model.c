/*
 * A verdict model: a logistic regression over the three features of
 * sample/rows.csv. Replace the weights (or the whole of verdict_model) with
 * your own model; verdict.h implements the rest of the guest ABI v1.
 *
 * Build it (see the Makefile):
 *
 *     clang --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor -I. -o model.wasm model.c
 */
#include <math.h>

#include "verdict.h"

/* WEIGHTS[j] multiplies feature j, in the task's column order. */
static const double WEIGHTS[] = {0.8, -0.5, 0.3};
#define NUM_WEIGHTS (int)(sizeof WEIGHTS / sizeof WEIGHTS[0])
static const double BIAS = 0.1;

/* Error codes: the host reports any non-zero return as a guest error. */
enum { ERR_COLUMNS = 2, ERR_OUTPUTS = 3 };

/* verdict_model writes P(class 1) for every row; a missing feature is NaN
 * and contributes nothing. */
int verdict_model(const double *x, int rows, int cols, double *y, int outs) {
    if (cols != NUM_WEIGHTS) return ERR_COLUMNS;
    if (outs != 1) return ERR_OUTPUTS;
    for (int i = 0; i < rows; i++) {
        double z = BIAS;
        for (int j = 0; j < cols; j++) {
            double v = x[VERDICT_AT(j, i, rows)];
            if (!isnan(v)) z += WEIGHTS[j] * v;
        }
        y[VERDICT_AT(0, i, rows)] = 1 / (1 + exp(-z));
    }
    return 0;
}
