/* A participant model written with verdict.h: the probability of class 1
 * is a logistic function of the mean of the row's features (missing
 * features are skipped); a batch with a negative row count cannot happen,
 * and a row whose first feature is -1 returns error code 42. */
#include <math.h>
#include "../verdict.h"

int verdict_model(const double *x, int rows, int cols, double *y, int outs) {
    if (outs != 1) return 2;
    for (int i = 0; i < rows; i++) {
        if (cols > 0 && x[VERDICT_AT(0, i, rows)] == -1) return 42;
        double s = 0;
        int n = 0;
        for (int j = 0; j < cols; j++) {
            double v = x[VERDICT_AT(j, i, rows)];
            if (isnan(v)) continue;
            s += v;
            n++;
        }
        y[VERDICT_AT(0, i, rows)] = 1 / (1 + exp(-(n ? s / n : 0)));
    }
    return 0;
}
