// Package ml implements the ONNX-ML operators (domain ai.onnx.ml) that
// scikit-learn's and XGBoost's exporters emit and gonnx v1.1.0 lacks:
// TreeEnsembleRegressor, TreeEnsembleClassifier, LinearClassifier and
// Normalizer. Each implements gonnx's ops.Operator, so it could move
// upstream unchanged. Semantics follow the ONNX-ML operator
// specification and, where it is vague (binary classifiers with one
// weight column, post-transforms in float32), ONNX Runtime's CPU kernels,
// the reference verdict is compared with.
//
// Computation is in float64 and rounded to float32 where the operator's
// output is float32, so a prediction is a pure function of its row.
package ml
