package metric

import "math"

// registry is the table of metrics. Adding a metric is one function with
// the signature func(Input) (float64, error), called only on input that
// passed validate, plus one row here. Set weighted when the function honours
// Input.Weight and cutoff when the name takes "@K". Set fast to give
// Bootstrap and Compare a resampling fast path (see resample.go); without
// one they score a materialised copy of every resample, which is correct
// but slower.
var registry = []Metric{
	// Binary, from the ranking of scores.
	{Name: "roc_auc", Types: []TaskType{Binary}, HigherIsBetter: true, weighted: true, fn: rocAUC, fast: aucOf,
		Doc: "area under the ROC curve; tied scores count one half (sklearn roc_auc_score)"},
	{Name: "average_precision", Types: []TaskType{Binary}, HigherIsBetter: true, weighted: true, fn: averagePrecision, fast: averagePrecisionOf,
		Doc: "sum over thresholds of (recall step) x precision (sklearn average_precision_score)"},

	// Probabilistic.
	{Name: "log_loss", Types: []TaskType{Binary, Multiclass}, weighted: true, fn: logLoss, fast: meanOf(logLossTerm, nil),
		Doc: "mean negative natural log of the probability of the true class, clipped to [1e-15, 1-1e-15]"},
	{Name: "brier", Types: []TaskType{Binary}, weighted: true, fn: brier, fast: meanOf(squaredError, nil),
		Doc: "mean squared difference between P(class 1) and the 0/1 truth"},

	// From labels: binary p >= 0.5 is class 1, multiclass argmax (lowest index on ties).
	{Name: "accuracy", Types: []TaskType{Binary, Multiclass}, HigherIsBetter: true, weighted: true, fn: fromConfusion(accuracy), fast: accuracyOf,
		Doc: "fraction of rows whose predicted label equals the truth"},
	{Name: "balanced_accuracy", Types: []TaskType{Binary, Multiclass}, HigherIsBetter: true, weighted: true, fn: fromConfusion(balancedAccuracy), fast: confusionOf(balancedAccuracy),
		Doc: "mean recall over the classes present in the truth"},
	{Name: "precision", Types: []TaskType{Binary}, HigherIsBetter: true, weighted: true, fn: fromConfusion(precision), fast: confusionOf(precision),
		Doc: "TP / (TP + FP) for class 1; 0 when nothing is predicted positive"},
	{Name: "recall", Types: []TaskType{Binary}, HigherIsBetter: true, weighted: true, fn: fromConfusion(recall), fast: confusionOf(recall),
		Doc: "TP / (TP + FN) for class 1; 0 when the truth has no positives"},
	{Name: "f1", Types: []TaskType{Binary}, HigherIsBetter: true, weighted: true, fn: fromConfusion(f1), fast: confusionOf(f1),
		Doc: "harmonic mean of precision and recall for class 1; 0 when both are 0"},
	{Name: "f1_macro", Types: []TaskType{Binary, Multiclass}, HigherIsBetter: true, weighted: true, fn: fromConfusion(f1Macro), fast: confusionOf(f1Macro),
		Doc: "unweighted mean of per-class F1 over the classes present in truth or predictions"},
	{Name: "f1_micro", Types: []TaskType{Binary, Multiclass}, HigherIsBetter: true, weighted: true, fn: fromConfusion(f1Micro), fast: confusionOf(f1Micro),
		Doc: "F1 of the pooled counts over all classes (equals accuracy for single-label data)"},
	{Name: "f1_weighted", Types: []TaskType{Binary, Multiclass}, HigherIsBetter: true, weighted: true, fn: fromConfusion(f1Weighted), fast: confusionOf(f1Weighted),
		Doc: "mean of per-class F1 weighted by each class's true support"},
	{Name: "mcc", Types: []TaskType{Binary, Multiclass}, HigherIsBetter: true, weighted: true, fn: fromConfusion(mcc), fast: confusionOf(mcc),
		Doc: "Matthews correlation coefficient (multiclass R_K); 0 when undefined"},
	{Name: "cohen_kappa", Types: []TaskType{Binary, Multiclass}, HigherIsBetter: true, weighted: true, fn: fromConfusion(cohenKappa), fast: confusionOf(cohenKappa),
		Doc: "Cohen's kappa: agreement between predicted and true labels beyond chance"},
	{Name: "quadratic_weighted_kappa", Types: []TaskType{Binary, Multiclass}, HigherIsBetter: true, weighted: true, fn: fromConfusion(quadraticKappa), fast: confusionOf(quadraticKappa),
		Doc: "Cohen's kappa with disagreement weighted by the squared class-index distance"},

	// Multiclass scores.
	{Name: "roc_auc_ovr", Types: []TaskType{Multiclass}, HigherIsBetter: true, weighted: true, fn: rocAUCOvR, fast: aucOvROf,
		Doc: "unweighted mean over classes of the one-vs-rest ROC AUC; every class must occur in the truth"},

	// Regression.
	{Name: "mse", Types: []TaskType{Regression}, weighted: true, fn: mse, fast: meanOf(squaredError, nil),
		Doc: "mean squared error"},
	{Name: "rmse", Types: []TaskType{Regression}, weighted: true, fn: rmse, fast: meanOf(squaredError, math.Sqrt),
		Doc: "square root of the mean squared error"},
	{Name: "mae", Types: []TaskType{Regression}, weighted: true, fn: mae, fast: meanOf(absoluteError, nil),
		Doc: "mean absolute error"},
	{Name: "rmsle", Types: []TaskType{Regression}, weighted: true, nonNegative: true, fn: rmsle, fast: meanOf(squaredLogError, math.Sqrt),
		Doc: "root mean squared error of log(1 + value); truth and predictions must be >= 0"},
	{Name: "mape", Types: []TaskType{Regression}, weighted: true, fn: mape, fast: meanOf(relativeError, nil),
		Doc: "mean of |pred - truth| / max(|truth|, machine epsilon), as a fraction, not a percentage"},
	{Name: "median_ae", Types: []TaskType{Regression}, weighted: true, fn: medianAE,
		Doc: "median absolute error (weighted: sklearn's lower weighted median)"},
	{Name: "r2", Types: []TaskType{Regression}, HigherIsBetter: true, weighted: true, fn: r2,
		Doc: "coefficient of determination 1 - SSE/SST; 1 if perfect, 0 on constant truth otherwise"},
	{Name: "explained_variance", Types: []TaskType{Regression}, HigherIsBetter: true, weighted: true, fn: explainedVariance,
		Doc: "1 - Var(truth - pred) / Var(truth); 1 if perfect, 0 on constant truth otherwise"},
	{Name: "pearson", Types: []TaskType{Regression}, HigherIsBetter: true, fn: pearson,
		Doc: "Pearson correlation of truth and predictions"},
	{Name: "spearman", Types: []TaskType{Regression}, HigherIsBetter: true, fn: spearman,
		Doc: "Spearman rank correlation (Pearson on tie-averaged ranks)"},

	// Ranking.
	{Name: "ndcg", Types: []TaskType{Ranking}, HigherIsBetter: true, cutoff: true, fn: ndcg, fast: ndcgOf,
		Doc: "mean over queries of DCG@K / ideal DCG@K with linear gains and tie-averaged scores (ndcg@K sets K)"},
}
