#!/usr/bin/env python3
"""Independent implementation of the datasets content hash (see doc.go).

Usage: hash.py FILE.csv ID LABEL KIND
Prints the hex SHA-256 that datasets.Load gives for the CSV, for CSVs whose
features are all plain numbers (no nulls) and whose label is numeric.
hash_test.go pins the values this script prints for the example data.
"""
import csv
import hashlib
import struct
import sys


def s(b):
    b = b.encode()
    return struct.pack(">I", len(b)) + b


def f(v):
    return struct.pack(">d", v)


path, idc, label, kind = sys.argv[1:5]
with open(path, newline="") as fh:
    rows = list(csv.reader(fh))
header, data = rows[0], rows[1:]
feats = [i for i, n in enumerate(header) if n not in (idc, label)]
h = hashlib.sha256()
h.update(b"verdict/datasets hash v1\n")
h.update(struct.pack(">Q", len(data)))
h.update(struct.pack(">I", len(feats)))
for i in feats:
    h.update(s(header[i]))
h.update(s(kind))
h.update(bytes([1]))
li = header.index(label)
ii = header.index(idc)
for r in data:
    h.update(s(r[ii]))
    for i in feats:
        h.update(f(float(r[i])))
    h.update(f(float(r[li])))
print(h.hexdigest())
