"""Expected cluster metrics from scikit-learn, made once and checked in.

Writes tests/golden/metrics/m*.csv (matrices: x0..x{d-1}, label) and expected.json with
scikit-learn's silhouette_score, davies_bouldin_score, calinski_harabasz_score, KMeans(n_init=10)
inertia_, AgglomerativeClustering(linkage="ward") labels, adjusted_rand_score, and
RobustScaler/StandardScaler outputs. With a segscope binary
and ../shared/data/zeotap it also scores segscope's own export (features.csv + labels) on the real
data. The Rust tests read these files and never need Python.

    python3 tests/golden/metrics/make_golden.py target/release/segscope
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import (adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score,
                             silhouette_score)
from sklearn.preprocessing import RobustScaler, StandardScaler

HERE = Path(__file__).resolve().parent
rng = np.random.default_rng(20261123)


def blobs(centers, sizes, spread):
    xs, ls = [], []
    for label, (c, n) in enumerate(zip(centers, sizes)):
        xs.append(rng.normal(c, spread, size=(n, len(c))))
        ls += [label] * n
    return np.vstack(xs), np.array(ls)


cases = {
    "m1": blobs([[0, 0], [5, 5], [0, 6]], [30, 25, 20], 1.0),
    "m2": blobs([[0, 0, 0, 0], [3, 3, 0, 1], [-3, 2, 2, 0], [1, -4, 1, 3]], [50, 40, 35, 25], 1.3),
    # Overlapping clusters plus a singleton cluster: silhouette scores the singleton 0.
    "m3": (lambda x, l: (np.vstack([x, [[9.0, 9.0, 9.0]]]), np.append(l, 2)))(
        *blobs([[0, 0, 0], [1.5, 1.0, 0.5]], [20, 19], 1.0)),
}

expected = {"sklearn": sklearn.__version__, "cases": {}}
for name, (x, labels) in cases.items():
    df = pd.DataFrame(x, columns=[f"x{i}" for i in range(x.shape[1])])
    df["label"] = labels
    with open(HERE / f"{name}.csv", "w") as f:
        f.write(",".join(df.columns) + "\n")
        for row in df.itertuples(index=False):
            f.write(",".join(repr(float(v)) for v in row[:-1]) + f",{int(row[-1])}\n")
    x = df[[c for c in df.columns if c != "label"]].to_numpy()
    inertia = {}
    for k in (2, 3, 4, 5):
        inertia[str(k)] = float(KMeans(n_clusters=k, n_init=10, random_state=0).fit(x).inertia_)
    expected["cases"][name] = {
        "silhouette": float(silhouette_score(x, labels)),
        "davies_bouldin": float(davies_bouldin_score(x, labels)),
        "calinski_harabasz": float(calinski_harabasz_score(x, labels)),
        "kmeans_inertia": inertia,
        # Ward labels as scikit-learn's AgglomerativeClustering gives them, per K.
        "ward_labels": {
            str(k): AgglomerativeClustering(n_clusters=k, linkage="ward").fit(x).labels_.tolist()
            for k in (2, 3, 4, 5)
        },
    }

# Scalers on m2 with log1p on the first column (named "monetary" in the test), shifted positive.
x = pd.read_csv(HERE / "m2.csv").drop(columns="label").to_numpy()
x[:, 0] = np.abs(x[:, 0]) * 100
logged = x.copy()
logged[:, 0] = np.log1p(logged[:, 0])
expected["scalers"] = {
    "input_first_column_scale": 100,
    "robust": RobustScaler().fit_transform(logged).tolist(),
    "standard": StandardScaler().fit_transform(logged).tolist(),
}
expected["ari"] = [
    {"a": a, "b": b, "ari": float(adjusted_rand_score(a, b))}
    for a, b in [([0, 0, 1, 2], [0, 0, 1, 1]), ([0, 0, 1, 1, 2, 2], [1, 1, 0, 0, 0, 2]),
                 ([0, 1, 2, 3], [0, 0, 0, 0]), ([0, 0, 0, 1, 1, 1, 2, 2], [0, 0, 1, 1, 2, 2, 2, 2])]
]

# segscope's own export on the real data, scored by scikit-learn.
binary = sys.argv[1] if len(sys.argv) > 1 else None
zeotap = HERE.parents[3] / "shared/data/zeotap"
if binary and zeotap.exists():
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([binary, "export", str(zeotap), "--k", "4", "--out", out], check=True)
        feats = pd.read_csv(Path(out) / "features.csv", dtype={"CustomerID": str})
        segs = pd.read_csv(Path(out) / "customer_segments.csv", dtype={"CustomerID": str})
        merged = feats.merge(segs, on="CustomerID")
        x = merged[[c for c in feats.columns if c != "CustomerID"]].to_numpy()
        labels = merged["segment"].to_numpy()
        expected["zeotap_export_k4"] = {
            "features": [c for c in feats.columns if c != "CustomerID"],
            "n_customers": int(len(merged)),
            "silhouette": float(silhouette_score(x, labels)),
            "davies_bouldin": float(davies_bouldin_score(x, labels)),
            "calinski_harabasz": float(calinski_harabasz_score(x, labels)),
            "kmeans_n_init10_inertia": float(KMeans(n_clusters=4, n_init=10, random_state=0).fit(x).inertia_),
        }

with open(HERE / "expected.json", "w") as f:
    json.dump(expected, f, indent=1)
    f.write("\n")
print("wrote", HERE / "expected.json")
