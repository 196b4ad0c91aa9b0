"""Train a model and export it as ONNX for verdict: PyTorch.

A small neural network (missing values replaced by the training mean,
features standardised, one hidden layer, softmax) over the CSV's feature
columns, exported with torch.onnx.export: one input "input" [N, features]
(float32, the task's features in its column order) and one output
"probabilities" [N, classes] in ascending label order (labels 0..K-1).
Replace the network with your own; keep the input and output names.

    python3 train_torch.py [--data sample/rows.csv] [--id id] [--label label] [--out model.onnx]

Needs numpy, torch and onnx (Debian: apt-get install python3-torch
python3-onnx; or pip install torch onnx).
"""

import argparse

import numpy as np
import onnx
import torch
from torch import nn

from train import read


class Model(nn.Module):
    def __init__(self, mean, scale, n_classes, hidden=16):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("scale", torch.tensor(scale, dtype=torch.float32))
        self.net = nn.Sequential(nn.Linear(len(mean), hidden), nn.ReLU(), nn.Linear(hidden, n_classes))

    def logits(self, x):
        x = torch.where(torch.isnan(x), self.mean, x)
        return self.net((x - self.mean) / self.scale)

    def forward(self, x):
        return torch.softmax(self.logits(x), dim=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="sample/rows.csv", help="training CSV (your training data, never a task's test set)")
    ap.add_argument("--id", default="id", help="the id column (not a feature)")
    ap.add_argument("--label", default="label", help="the label column")
    ap.add_argument("--out", default="model.onnx")
    ap.add_argument("--epochs", type=int, default=300)
    args = ap.parse_args()

    x, y, names = read(args.data, args.id, args.label)
    mean = np.nanmean(x, axis=0)
    scale = np.where(np.isnan(x), mean, x).std(axis=0)
    scale[scale == 0] = 1
    n_classes = int(y.max()) + 1

    torch.manual_seed(0)  # the same data gives the same model
    torch.set_num_threads(1)
    model = Model(mean, scale, n_classes)
    xt, yt = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.long)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(args.epochs):
        opt.zero_grad()
        nn.functional.cross_entropy(model.logits(xt), yt).backward()
        opt.step()
    model.eval()

    torch.onnx.export(model, xt[:1], args.out, input_names=["input"], output_names=["probabilities"],
                      dynamic_axes={"input": {0: "N"}, "probabilities": {0: "N"}}, opset_version=13)
    onnx.checker.check_model(onnx.load(args.out), full_check=True)
    with torch.no_grad():
        acc = (model(xt).argmax(1) == yt).float().mean().item()
    print("wrote %s: %d features (%s), %d classes, training accuracy %.3f"
          % (args.out, len(names), ",".join(names), n_classes, acc))


if __name__ == "__main__":
    main()
