"""Train a model and export it as ONNX for verdict: scikit-learn.

A logistic regression (missing values imputed with the training mean,
features standardised) over the CSV's feature columns, written with the
onnx package's helper API as ai.onnx.ml Imputer -> Scaler ->
LinearClassifier: one input "input" [N, features] (float32, the task's
features in its column order) and two outputs, "label" [N] and
"probabilities" [N, classes] in ascending label order, the layout verdict
maps onto the task's outputs. Replace the estimator with your own; keep the
export (or use skl2onnx if you have it).

    python3 train.py [--data sample/rows.csv] [--id id] [--label label] [--out model.onnx]

Needs numpy, scikit-learn and onnx (Debian: apt-get install python3-sklearn
python3-onnx; or pip install scikit-learn onnx).
"""

import argparse
import csv
import math

import numpy as np
import onnx
from onnx import TensorProto, helper
from sklearn.linear_model import LogisticRegression


def read(path, id_col, label_col):
    """Returns (features [n, f] float64 with NaN for empty cells, labels,
    feature names) of a CSV with a header."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    names = [c for c in rows[0] if c not in (id_col, label_col)]
    x = np.array([[float(r[c]) if r[c] != "" else math.nan for c in names] for r in rows])
    y = np.array([int(float(r[label_col])) for r in rows])
    return x, y, names


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="sample/rows.csv", help="training CSV (your training data, never a task's test set)")
    ap.add_argument("--id", default="id", help="the id column (not a feature)")
    ap.add_argument("--label", default="label", help="the label column")
    ap.add_argument("--out", default="model.onnx")
    args = ap.parse_args()

    x, y, names = read(args.data, args.id, args.label)
    # Training: impute, standardise, fit. Seeded: the same data gives the
    # same model.
    mean = np.nanmean(x, axis=0)
    xi = np.where(np.isnan(x), mean, x)
    scale = xi.std(axis=0)
    scale[scale == 0] = 1
    clf = LogisticRegression(max_iter=1000, random_state=0).fit((xi - mean) / scale, y)

    # Export: the same three steps as ONNX operators.
    classes = [int(c) for c in clf.classes_]
    nodes = [
        helper.make_node("Imputer", ["input"], ["imputed"], domain="ai.onnx.ml",
                         imputed_value_floats=[float(v) for v in mean], replaced_value_float=math.nan),
        helper.make_node("Scaler", ["imputed"], ["scaled"], domain="ai.onnx.ml",
                         offset=[float(v) for v in mean], scale=[float(1 / v) for v in scale]),
        helper.make_node("LinearClassifier", ["scaled"], ["label", "probabilities"], domain="ai.onnx.ml",
                         classlabels_ints=classes, coefficients=[float(v) for v in clf.coef_.reshape(-1)],
                         intercepts=[float(v) for v in clf.intercept_],
                         post_transform="LOGISTIC" if len(classes) == 2 else "SOFTMAX"),
    ]
    graph = helper.make_graph(
        nodes, "model",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", len(names)])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", len(classes)])])
    model = helper.make_model(graph, producer_name="verdict init model --lang python",
                              opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 3)])
    model.ir_version = 8
    model.doc_string = "features: " + ",".join(names)
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, args.out)
    print("wrote %s: %d features (%s), classes %s, training accuracy %.3f"
          % (args.out, len(names), ",".join(names), classes, clf.score((xi - mean) / scale, y)))


if __name__ == "__main__":
    main()
