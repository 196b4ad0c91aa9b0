"""Build the ONNX model corpus from source.

Trains small models on the datasets in ../data (and scikit-learn's bundled
digits) with PyTorch 1.13, scikit-learn 1.2 and XGBoost 1.7, writes each as
an .onnx file, and saves beside it NAME.json: the rows it was run on (as a
path to a CSV, relative to this directory) and the outputs the training
library itself predicted for them (scikit-learn's predict_proba/predict,
XGBoost's predict, the torch module's forward), so a runtime can be checked
against both the reference runtime and the library that trained the model.

Run with Debian's Python (build.sh does): every dependency is a Debian
package, pinned by the release. Training is seeded and single-threaded so
that two builds write the same bytes.

Usage: /usr/bin/python3 build.py [OUTDIR]
"""

import csv
import json
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")

# ONNX opsets every model declares: default domain 13 (torch.onnx.export is
# asked for it too), ai.onnx.ml 3 (the helper-API models).
OPSET = 13
ML_OPSET = 3
IR_VERSION = 8


def load(name):
    """Returns (features float64 [n, f], target, header) of ../data/NAME.csv."""
    with open(os.path.join(DATA, name + ".csv"), newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    assert header[0] == "id" and header[-1] == "target", header
    x = np.array([[float(v) for v in r[1:-1]] for r in rows[1:]], dtype=np.float64)
    y = np.array([float(r[-1]) for r in rows[1:]], dtype=np.float64)
    return x, y, header[1:-1]


def digits_split(out):
    """Splits scikit-learn's bundled digits 70/30 (seed 42) and writes the
    test part as digits_test.csv beside the models (the data set is not in
    ../data: it is only the CNN's)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    xtr, xte, ytr, yte = train_test_split(
        d.data, d.target, test_size=0.3, random_state=42, stratify=d.target
    )
    path = os.path.join(out, "digits_test.csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id"] + ["px%d" % i for i in range(64)] + ["target"])
        for i, (row, t) in enumerate(zip(xte, yte)):
            w.writerow(["dg%05d" % i] + ["%d" % v for v in row] + ["%d" % t])
    return xtr, ytr.astype(np.int64), xte, yte.astype(np.int64)


def save(out, name, model, data, dtype, outputs, note, tolerance=None):
    """Checks and writes NAME.onnx and NAME.json. tolerance overrides the
    dtype's default bound on |runtime - library| / max(1, |library|)
    (1e-6 for float32, 1e-12 for float64)."""
    onnx.checker.check_model(model, full_check=True)
    with open(os.path.join(out, name + ".onnx"), "wb") as f:
        f.write(model.SerializeToString())
    ref = {
        "model": name + ".onnx",
        "note": note,
        "data": data,
        "dtype": dtype,
        "tolerance": tolerance or (1e-6 if dtype == "float32" else 1e-12),
        "outputs": {
            k: [float(v) for v in np.asarray(a).reshape(-1)]
            for k, a in sorted(outputs.items())
        },
    }
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")
    print("wrote %s.onnx (%d bytes)" % (name, os.path.getsize(os.path.join(out, name + ".onnx"))))


def ml_model(name, nodes, n_features, outputs, elem=TensorProto.FLOAT):
    """A model for graphs built with the helper API: one input "input"
    [N, n_features] of elem, the given (name, elem type, shape) outputs."""
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("input", elem, ["N", n_features])],
        [helper.make_tensor_value_info(n, t, s) for n, t, s in outputs],
    )
    m = helper.make_model(
        graph,
        producer_name="verdict examples/onnx/build.py",
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("ai.onnx.ml", ML_OPSET)],
    )
    m.ir_version = IR_VERSION
    return m


CLASSIFIER_OUTPUTS = lambda c: [  # noqa: E731
    ("label", TensorProto.INT64, ["N"]),
    ("probabilities", TensorProto.FLOAT, ["N", c]),
]
REGRESSOR_OUTPUTS = [("variable", TensorProto.FLOAT, ["N", 1])]


# ---- tree ensembles -------------------------------------------------------


class Trees:
    """Accumulates the nodes_*/target_*|class_* attributes of an ONNX-ML
    tree ensemble."""

    def __init__(self):
        self.nodes = {k: [] for k in (
            "nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values",
            "nodes_modes", "nodes_truenodeids", "nodes_falsenodeids",
            "nodes_missing_value_tracks_true", "nodes_hitrates")}
        self.leaf = {k: [] for k in ("treeids", "nodeids", "ids", "weights")}

    def node(self, tree, node, feature, value, mode, true, false, missing_true=0):
        n = self.nodes
        n["nodes_treeids"].append(tree)
        n["nodes_nodeids"].append(node)
        n["nodes_featureids"].append(feature)
        n["nodes_values"].append(float(value))
        n["nodes_modes"].append(mode)
        n["nodes_truenodeids"].append(true)
        n["nodes_falsenodeids"].append(false)
        n["nodes_missing_value_tracks_true"].append(missing_true)
        n["nodes_hitrates"].append(1.0)

    def weight(self, tree, node, target, w):
        self.leaf["treeids"].append(tree)
        self.leaf["nodeids"].append(node)
        self.leaf["ids"].append(target)
        self.leaf["weights"].append(float(w))

    def attrs(self, prefix):
        a = dict(self.nodes)
        for k, v in self.leaf.items():
            a[prefix + k] = v
        return a


def float32_leq(t):
    """The largest float32 <= t: scikit-learn compares float32 features with
    float64 thresholds (x <= t), and for a float32 x that holds exactly when
    x <= float32_leq(t), so the ONNX float threshold decides as sklearn does
    (plain rounding may round up past a feature value and flip it)."""
    f = np.float32(t)
    if float(f) > t:
        f = np.nextafter(f, np.float32(-np.inf))
    return f


def add_sklearn_tree(trees, tid, tree, leaf):
    """Adds one fitted sklearn tree_ (x <= threshold goes left); leaf(node)
    yields (target or class id, weight) pairs for a leaf."""
    t = tree
    for i in range(t.node_count):
        if t.children_left[i] == -1:
            trees.node(tid, i, 0, 0.0, "LEAF", 0, 0)
            for target, w in leaf(i):
                trees.weight(tid, i, target, w)
        else:
            trees.node(tid, i, int(t.feature[i]), float32_leq(t.threshold[i]), "BRANCH_LEQ",
                       int(t.children_left[i]), int(t.children_right[i]))


def rf_classifier(name, forest, n_features):
    trees = Trees()
    n = len(forest.estimators_)
    classes = [int(c) for c in forest.classes_]
    for tid, est in enumerate(forest.estimators_):
        value = est.tree_.value[:, 0, :]

        def leaf(i, value=value):
            p = value[i] / value[i].sum()
            return [(c, p[c] / n) for c in range(len(classes))]

        add_sklearn_tree(trees, tid, est.tree_, leaf)
    node = helper.make_node(
        "TreeEnsembleClassifier", ["input"], ["label", "probabilities"], domain="ai.onnx.ml",
        classlabels_int64s=classes, post_transform="NONE", **trees.attrs("class_"))
    outputs = CLASSIFIER_OUTPUTS(len(classes))
    if len(classes) == 2:
        # With two classes ONNX Runtime labels a row by class 1's score
        # alone (positive means class 1), not by the larger probability, so
        # its label disagrees with scikit-learn's: the graph exposes the
        # probabilities only (class 1's weight alone would give [0, p]).
        outputs = outputs[1:]
    return ml_model(name, [node], n_features, outputs)


def rf_regressor(name, forest, n_features):
    trees = Trees()
    for tid, est in enumerate(forest.estimators_):
        add_sklearn_tree(trees, tid, est.tree_,
                         lambda i, t=est.tree_: [(0, t.value[i, 0, 0])])
    node = helper.make_node(
        "TreeEnsembleRegressor", ["input"], ["variable"], domain="ai.onnx.ml",
        n_targets=1, aggregate_function="AVERAGE", post_transform="NONE", **trees.attrs("target_"))
    return ml_model(name, [node], n_features, REGRESSOR_OUTPUTS)


def gb_classifier(name, gb, n_features):
    """sklearn GradientBoostingClassifier (log-loss): raw score = init +
    learning_rate * sum of trees, per class; LOGISTIC for two classes (one
    score, skl2onnx's binary layout), SOFTMAX for more."""
    trees = Trees()
    classes = [int(c) for c in gb.classes_]
    k = gb.estimators_.shape[1]
    tid = 0
    for stage in gb.estimators_:
        for c, est in enumerate(stage):
            add_sklearn_tree(trees, tid, est.tree_,
                             lambda i, t=est.tree_, c=c: [(c, gb.learning_rate * t.value[i, 0, 0])])
            tid += 1
    zeros = np.zeros((1, n_features))
    init = gb._raw_predict_init(zeros)[0]
    node = helper.make_node(
        "TreeEnsembleClassifier", ["input"], ["label", "probabilities"], domain="ai.onnx.ml",
        classlabels_int64s=classes, base_values=[float(v) for v in init],
        post_transform="LOGISTIC" if k == 1 else "SOFTMAX", **trees.attrs("class_"))
    return ml_model(name, [node], n_features, CLASSIFIER_OUTPUTS(len(classes)))


def gb_regressor(name, gb, n_features):
    trees = Trees()
    for tid, est in enumerate(gb.estimators_[:, 0]):
        add_sklearn_tree(trees, tid, est.tree_,
                         lambda i, t=est.tree_: [(0, gb.learning_rate * t.value[i, 0, 0])])
    init = gb._raw_predict_init(np.zeros((1, n_features)))[0]
    node = helper.make_node(
        "TreeEnsembleRegressor", ["input"], ["variable"], domain="ai.onnx.ml",
        n_targets=1, aggregate_function="SUM", post_transform="NONE",
        base_values=[float(init[0])], **trees.attrs("target_"))
    return ml_model(name, [node], n_features, REGRESSOR_OUTPUTS)


def xgb_trees(booster):
    """Returns (trees, tree_info, base_score) from XGBoost's JSON model
    (full float precision, unlike its text dumps)."""
    m = json.loads(bytes(booster.save_raw(raw_format="json")))
    learner = m["learner"]
    gbm = learner["gradient_booster"]["model"]
    base = float(learner["learner_model_param"]["base_score"])
    return gbm["trees"], gbm["tree_info"], base


def add_xgb_tree(trees, tid, t, target):
    """XGBoost goes left when x < split_condition; a leaf's value is in
    split_conditions and already carries the learning rate."""
    left, right = t["left_children"], t["right_children"]
    for i in range(len(left)):
        if left[i] == -1:
            trees.node(tid, i, 0, 0.0, "LEAF", 0, 0)
            trees.weight(tid, i, target, np.float32(t["split_conditions"][i]))
        else:
            trees.node(tid, i, int(t["split_indices"][i]), np.float32(t["split_conditions"][i]),
                       "BRANCH_LT", left[i], right[i], int(t["default_left"][i]))


def xgb_classifier(name, clf, n_features):
    trees_json, info, base = xgb_trees(clf.get_booster())
    classes = [int(c) for c in clf.classes_]
    trees = Trees()
    for tid, (t, c) in enumerate(zip(trees_json, info)):
        add_xgb_tree(trees, tid, t, c)
    if len(classes) == 2:
        margin = float(np.log(base / (1 - base)))
        base_values, post = [margin], "LOGISTIC"
    else:
        base_values, post = [base] * len(classes), "SOFTMAX"
    node = helper.make_node(
        "TreeEnsembleClassifier", ["input"], ["label", "probabilities"], domain="ai.onnx.ml",
        classlabels_int64s=classes, base_values=base_values, post_transform=post,
        **trees.attrs("class_"))
    return ml_model(name, [node], n_features, CLASSIFIER_OUTPUTS(len(classes)))


def xgb_regressor(name, reg, n_features):
    trees_json, info, base = xgb_trees(reg.get_booster())
    trees = Trees()
    for tid, t in enumerate(trees_json):
        add_xgb_tree(trees, tid, t, 0)
    node = helper.make_node(
        "TreeEnsembleRegressor", ["input"], ["variable"], domain="ai.onnx.ml",
        n_targets=1, aggregate_function="SUM", post_transform="NONE",
        base_values=[base], **trees.attrs("target_"))
    return ml_model(name, [node], n_features, REGRESSOR_OUTPUTS)


# ---- linear models --------------------------------------------------------


def scaler_node(scaler, out):
    """ai.onnx.ml Scaler: (x - offset) * scale, StandardScaler's transform."""
    return helper.make_node(
        "Scaler", ["input"], [out], domain="ai.onnx.ml",
        offset=[float(v) for v in scaler.mean_], scale=[float(1 / v) for v in scaler.scale_])


def logreg(name, pipe, n_features):
    """StandardScaler + LogisticRegression as Scaler + LinearClassifier
    (LOGISTIC for two classes with one coefficient row, SOFTMAX for
    multinomial)."""
    scaler, lr = pipe[0], pipe[1]
    classes = [int(c) for c in lr.classes_]
    coef = lr.coef_
    nodes = [
        scaler_node(scaler, "scaled"),
        helper.make_node(
            "LinearClassifier", ["scaled"], ["label", "probabilities"], domain="ai.onnx.ml",
            classlabels_ints=classes, coefficients=[float(v) for v in coef.reshape(-1)],
            intercepts=[float(v) for v in lr.intercept_],
            post_transform="LOGISTIC" if len(classes) == 2 else "SOFTMAX", multi_class=0),
    ]
    return ml_model(name, nodes, n_features, CLASSIFIER_OUTPUTS(len(classes)))


def linreg(name, lr, n_features):
    node = helper.make_node(
        "LinearRegressor", ["input"], ["variable"], domain="ai.onnx.ml",
        coefficients=[float(v) for v in lr.coef_], intercepts=[float(lr.intercept_)], targets=1)
    return ml_model(name, [node], n_features, REGRESSOR_OUTPUTS)


def linreg_double(name, lr, n_features):
    """The same regression in float64 with plain MatMul + Add."""
    w = numpy_helper.from_array(lr.coef_.reshape(n_features, 1).astype(np.float64), "coef")
    b = numpy_helper.from_array(np.array([lr.intercept_], dtype=np.float64), "intercept")
    nodes = [
        helper.make_node("MatMul", ["input", "coef"], ["xw"]),
        helper.make_node("Add", ["xw", "intercept"], ["variable"]),
    ]
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("input", TensorProto.DOUBLE, ["N", n_features])],
        [helper.make_tensor_value_info("variable", TensorProto.DOUBLE, ["N", 1])],
        initializer=[w, b])
    m = helper.make_model(graph, producer_name="verdict examples/onnx/build.py",
                          opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = IR_VERSION
    return m


def logreg_double(name, pipe, n_features):
    """Binary logistic regression in float64: Sub, Div, MatMul, Add,
    Sigmoid, and the [1-p, p] probabilities by Sub + Concat."""
    scaler, lr = pipe[0], pipe[1]
    inits = [
        numpy_helper.from_array(scaler.mean_.astype(np.float64), "mean"),
        numpy_helper.from_array(scaler.scale_.astype(np.float64), "scale"),
        numpy_helper.from_array(lr.coef_.T.astype(np.float64), "coef"),
        numpy_helper.from_array(lr.intercept_.astype(np.float64), "intercept"),
        numpy_helper.from_array(np.array([1.0], dtype=np.float64), "one"),
    ]
    nodes = [
        helper.make_node("Sub", ["input", "mean"], ["centred"]),
        helper.make_node("Div", ["centred", "scale"], ["scaled"]),
        helper.make_node("MatMul", ["scaled", "coef"], ["xw"]),
        helper.make_node("Add", ["xw", "intercept"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["p1"]),
        helper.make_node("Sub", ["one", "p1"], ["p0"]),
        helper.make_node("Concat", ["p0", "p1"], ["probabilities"], axis=1),
    ]
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("input", TensorProto.DOUBLE, ["N", n_features])],
        [helper.make_tensor_value_info("probabilities", TensorProto.DOUBLE, ["N", 2])],
        initializer=inits)
    m = helper.make_model(graph, producer_name="verdict examples/onnx/build.py",
                          opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = IR_VERSION
    return m


# ---- PyTorch --------------------------------------------------------------


def torch_models(out, bc, wine, diab, digits):
    import torch
    from torch import nn

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    class Standardize(nn.Module):
        def __init__(self, x, dtype):
            super().__init__()
            self.register_buffer("mean", torch.tensor(x.mean(0), dtype=dtype))
            self.register_buffer("std", torch.tensor(x.std(0) + 1e-12, dtype=dtype))

        def forward(self, x):
            return (x - self.mean) / self.std

    def mlp(x, sizes, dtype, head):
        layers = [Standardize(x, dtype)]
        for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
            layers.append(nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
        if head is not None:
            layers.append(head)
        return nn.Sequential(*layers).to(dtype)

    def fit(model, x, y, loss, epochs, lr=0.01):
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        for _ in range(epochs):
            opt.zero_grad()
            loss(model(x), y).backward()
            opt.step()
        model.eval()

    def export(model, name, xte, dtype, outputs, data, note, tolerance=None):
        x = torch.tensor(xte, dtype=dtype)
        with torch.no_grad():
            got = model(x)
        path = os.path.join(out, name + ".onnx")
        torch.onnx.export(
            model, x[:1], path, input_names=["input"], output_names=list(outputs),
            dynamic_axes={"input": {0: "N"}, **{o: {0: "N"} for o in outputs}},
            opset_version=OPSET, do_constant_folding=True)
        m = onnx.load(path)
        save(out, name, m, data, "float64" if dtype == torch.float64 else "float32",
             {outputs[0]: got.numpy()}, note, tolerance)

    # Binary MLP on breast cancer: 30 -> 32 -> 16 -> 2, softmax.
    (xtr, ytr), xte = bc
    torch.manual_seed(1)
    m = mlp(xtr, [30, 32, 16, 2], torch.float32, nn.Softmax(dim=1))
    fit(m[:-1], torch.tensor(xtr, dtype=torch.float32), torch.tensor(ytr, dtype=torch.long),
        nn.CrossEntropyLoss(), 200)
    export(m, "torch_mlp_breast_cancer", xte, torch.float32, ["probabilities"],
           "../data/breast_cancer_test.csv", "PyTorch MLP 30-32-16-2 (ReLU, softmax), float32")

    # The same architecture in float64.
    torch.manual_seed(2)
    m = mlp(xtr, [30, 32, 16, 2], torch.float64, nn.Softmax(dim=1))
    fit(m[:-1], torch.tensor(xtr, dtype=torch.float64), torch.tensor(ytr, dtype=torch.long),
        nn.CrossEntropyLoss(), 200)
    export(m, "torch_mlp64_breast_cancer", xte, torch.float64, ["probabilities"],
           "../data/breast_cancer_test.csv", "PyTorch MLP 30-32-16-2 (ReLU, softmax), float64")

    # Multiclass MLP on wine: 13 -> 16 -> 3, softmax.
    (xtr, ytr), xte = wine
    torch.manual_seed(3)
    m = mlp(xtr, [13, 16, 3], torch.float32, nn.Softmax(dim=1))
    fit(m[:-1], torch.tensor(xtr, dtype=torch.float32), torch.tensor(ytr, dtype=torch.long),
        nn.CrossEntropyLoss(), 200)
    export(m, "torch_mlp_wine", xte, torch.float32, ["probabilities"],
           "../data/wine_test.csv", "PyTorch MLP 13-16-3 (ReLU, softmax), float32")

    # Regression MLP on diabetes: 10 -> 32 -> 32 -> 1 (three layers: the benchmark's MLP).
    (xtr, ytr), xte = diab
    torch.manual_seed(4)
    m = mlp(xtr, [10, 32, 32, 1], torch.float32, None)
    fit(m, torch.tensor(xtr, dtype=torch.float32), torch.tensor(ytr, dtype=torch.float32).reshape(-1, 1),
        nn.MSELoss(), 500, lr=0.05)
    export(m, "torch_mlp_diabetes", xte, torch.float32, ["variable"],
           "../data/diabetes_test.csv", "PyTorch MLP 10-32-32-1 (ReLU), float32, regression")

    # CNN on digits: the 64 features reshaped to 1x8x8 inside the model.
    (xtr, ytr), xte = digits

    class CNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
            self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
            self.pool = nn.MaxPool2d(2)
            self.fc = nn.Linear(16 * 2 * 2, 10)

        def forward(self, x):
            x = x.reshape(-1, 1, 8, 8) / 16.0
            x = self.pool(torch.relu(self.conv1(x)))
            x = self.pool(torch.relu(self.conv2(x)))
            return torch.softmax(self.fc(x.flatten(1)), dim=1)

    torch.manual_seed(5)
    cnn = CNN()
    xt = torch.tensor(xtr, dtype=torch.float32)
    yt = torch.tensor(ytr, dtype=torch.long)
    opt = torch.optim.Adam(cnn.parameters(), lr=0.01)
    nll = nn.NLLLoss()
    for _ in range(60):
        opt.zero_grad()
        nll(torch.log(cnn(xt) + 1e-9), yt).backward()
        opt.step()
    cnn.eval()
    export(cnn, "torch_cnn_digits", xte, torch.float32, ["probabilities"],
           "digits_test.csv", "PyTorch CNN conv3x3(8)-pool-conv3x3(16)-pool-linear-softmax, float32",
           # PyTorch and ONNX Runtime sum a float32 convolution in different
           # orders; their probabilities differ by up to 1.6e-6.
           tolerance=4e-6)


def main():
    args = sys.argv[1:]
    out = os.path.abspath(args[0]) if args else HERE
    os.makedirs(out, exist_ok=True)

    from sklearn.ensemble import (GradientBoostingClassifier, GradientBoostingRegressor,
                                  RandomForestClassifier, RandomForestRegressor)
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    import xgboost as xgb

    bc_tr, bc_ytr, _ = load("breast_cancer_train")
    bc_te, _, _ = load("breast_cancer_test")
    wi_tr, wi_ytr, _ = load("wine_train")
    wi_te, _, _ = load("wine_test")
    di_tr, di_ytr, _ = load("diabetes_train")
    di_te, _, _ = load("diabetes_test")
    bc_ytr, wi_ytr = bc_ytr.astype(np.int64), wi_ytr.astype(np.int64)
    BC, WI, DI = "../data/breast_cancer_test.csv", "../data/wine_test.csv", "../data/diabetes_test.csv"
    f32 = lambda x: x.astype(np.float32)  # noqa: E731  what a float32 model sees

    def classifier(name, model, fitted, x, data, note):
        p = fitted.predict_proba(f32(x) if model.graph.input[0].type.tensor_type.elem_type == TensorProto.FLOAT else x)
        got = {"label": fitted.classes_[p.argmax(1)], "probabilities": p}
        names = {o.name for o in model.graph.output}
        save(out, name, model, data, "float32", {k: v for k, v in got.items() if k in names}, note)

    # Linear and logistic models.
    lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(bc_tr, bc_ytr)
    classifier("logreg_breast_cancer", logreg("logreg_breast_cancer", lr, 30), lr, bc_te, BC,
               "StandardScaler + LogisticRegression as Scaler + LinearClassifier (LOGISTIC)")
    save(out, "logreg64_breast_cancer", logreg_double("logreg64_breast_cancer", lr, 30), BC, "float64",
         {"probabilities": lr.predict_proba(bc_te)},
         "the same logistic regression in float64 (Sub, Div, MatMul, Add, Sigmoid, Concat)")
    lw = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(wi_tr, wi_ytr)
    classifier("logreg_wine", logreg("logreg_wine", lw, 13), lw, wi_te, WI,
               "StandardScaler + multinomial LogisticRegression as Scaler + LinearClassifier (SOFTMAX)")
    ld = LinearRegression().fit(di_tr, di_ytr)
    save(out, "linreg_diabetes", linreg("linreg_diabetes", ld, 10), DI, "float32",
         {"variable": ld.predict(f32(di_te))}, "LinearRegression as LinearRegressor")
    save(out, "linreg64_diabetes", linreg_double("linreg64_diabetes", ld, 10), DI, "float64",
         {"variable": ld.predict(di_te)}, "LinearRegression in float64 as MatMul + Add")

    # scikit-learn tree ensembles.
    rf = RandomForestClassifier(n_estimators=20, max_depth=5, random_state=0, n_jobs=1).fit(bc_tr, bc_ytr)
    classifier("rf_breast_cancer", rf_classifier("rf_breast_cancer", rf, 30), rf, bc_te, BC,
               "RandomForestClassifier, 20 trees, depth 5, as TreeEnsembleClassifier")
    rw = RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0, n_jobs=1).fit(wi_tr, wi_ytr)
    classifier("rf_wine", rf_classifier("rf_wine", rw, 13), rw, wi_te, WI,
               "RandomForestClassifier, 10 trees, depth 4, 3 classes, as TreeEnsembleClassifier")
    rr = RandomForestRegressor(n_estimators=20, max_depth=5, random_state=0, n_jobs=1).fit(di_tr, di_ytr)
    save(out, "rf_diabetes", rf_regressor("rf_diabetes", rr, 10), DI, "float32",
         {"variable": rr.predict(f32(di_te))}, "RandomForestRegressor, 20 trees, depth 5, as TreeEnsembleRegressor (AVERAGE)")
    gb = GradientBoostingClassifier(n_estimators=50, max_depth=3, random_state=0).fit(bc_tr, bc_ytr)
    classifier("gb_breast_cancer", gb_classifier("gb_breast_cancer", gb, 30), gb, bc_te, BC,
               "GradientBoostingClassifier, 50 trees, as TreeEnsembleClassifier (LOGISTIC, one score)")
    gw = GradientBoostingClassifier(n_estimators=20, max_depth=2, random_state=0).fit(wi_tr, wi_ytr)
    classifier("gb_wine", gb_classifier("gb_wine", gw, 13), gw, wi_te, WI,
               "GradientBoostingClassifier, 20 stages x 3 classes, as TreeEnsembleClassifier (SOFTMAX)")
    gr = GradientBoostingRegressor(n_estimators=50, max_depth=3, random_state=0).fit(di_tr, di_ytr)
    save(out, "gb_diabetes", gb_regressor("gb_diabetes", gr, 10), DI, "float32",
         {"variable": gr.predict(f32(di_te))}, "GradientBoostingRegressor, 50 trees, as TreeEnsembleRegressor (SUM)")

    # XGBoost 1.7.
    def xgbc(n, depth):
        return xgb.XGBClassifier(n_estimators=n, max_depth=depth, learning_rate=0.1, base_score=0.5,
                                 tree_method="exact", random_state=0, n_jobs=1)

    xs = xgbc(20, 3).fit(bc_tr, bc_ytr)
    classifier("xgb_breast_cancer", xgb_classifier("xgb_breast_cancer", xs, 30), xs, bc_te, BC,
               "XGBClassifier binary:logistic, 20 trees, depth 3, as TreeEnsembleClassifier (LOGISTIC)")
    xw = xgbc(10, 3).fit(wi_tr, wi_ytr)
    classifier("xgb_wine", xgb_classifier("xgb_wine", xw, 13), xw, wi_te, WI,
               "XGBClassifier multi:softprob, 10 rounds x 3 classes, as TreeEnsembleClassifier (SOFTMAX)")
    xr = xgb.XGBRegressor(n_estimators=30, max_depth=3, learning_rate=0.1, tree_method="exact",
                          random_state=0, n_jobs=1).fit(di_tr, di_ytr)
    save(out, "xgb_diabetes", xgb_regressor("xgb_diabetes", xr, 10), DI, "float32",
         {"variable": xr.predict(f32(di_te))}, "XGBRegressor reg:squarederror, 30 trees, as TreeEnsembleRegressor (SUM)")
    # The benchmark's 500-tree models: the classifier's trees stay small
    # (breast cancer separates early), the regressor's grow to depth 6.
    xb = xgbc(500, 6).fit(bc_tr, bc_ytr)
    classifier("xgb500_breast_cancer", xgb_classifier("xgb500_breast_cancer", xb, 30), xb, bc_te, BC,
               "XGBClassifier binary:logistic, 500 trees, max depth 6 (a benchmark model)")
    xr5 = xgb.XGBRegressor(n_estimators=500, max_depth=6, learning_rate=0.05, tree_method="exact",
                           random_state=0, n_jobs=1).fit(di_tr, di_ytr)
    save(out, "xgb500_diabetes", xgb_regressor("xgb500_diabetes", xr5, 10), DI, "float32",
         {"variable": xr5.predict(f32(di_te))}, "XGBRegressor reg:squarederror, 500 trees, max depth 6 (a benchmark model)")

    # PyTorch.
    dg = digits_split(out)
    torch_models(out, ((bc_tr, bc_ytr), bc_te), ((wi_tr, wi_ytr), wi_te), ((di_tr, di_ytr), di_te),
                 ((dg[0], dg[1]), dg[2]))


if __name__ == "__main__":
    main()
