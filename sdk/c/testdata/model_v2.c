/* model.c under Guest ABI v2: the same model (the logistic function of the
 * mean of the row's present features; a row whose first feature is -1
 * returns error code 42) reading whole columns stride apart. */
#include <math.h>
#define VERDICT_ABI_V2
#include "../verdict.h"

int verdict_model_v2(const double *x, int rows, int cols, int stride, double *y, int outs) {
    if (outs != 1) return 2;
    for (int i = 0; i < rows; i++) {
        if (cols > 0 && x[VERDICT_AT(0, i, stride)] == -1) return 42;
        double s = 0;
        int n = 0;
        for (int j = 0; j < cols; j++) {
            double v = x[VERDICT_AT(j, i, stride)];
            if (isnan(v)) continue;
            s += v;
            n++;
        }
        y[VERDICT_AT(0, i, stride)] = 1 / (1 + exp(-(n ? s / n : 0)));
    }
    return 0;
}
