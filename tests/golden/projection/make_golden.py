"""Expected values for the Segments pane's scatter (tests/analyst_screen.rs): scikit-learn's PCA
of the clustered matrix segscope fits on the bundled sample at K = 4 with the defaults (rfm+,
robust), as `segscope segment --k 4 --dump-matrix` writes it.

Run from the checkout after a release build:
    bench/.venv/bin/python tests/golden/projection/make_golden.py
"""
import json
import os
import subprocess
import tempfile

import pandas as pd
from sklearn.decomposition import PCA

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "segscope")

with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "m.csv")
    subprocess.run([BIN, "segment", "--k", "4", "--dump-matrix", path, "--format", "json"],
                   check=True, stdout=subprocess.DEVNULL)
    m = pd.read_csv(path).set_index("CustomerID")

pca = PCA(n_components=2, svd_solver="full").fit(m.values)
points = pca.transform(m.values)
out = {
    "customers": len(m),
    "explained_variance_ratio": [float(r) for r in pca.explained_variance_ratio_],
    # Signs of components are arbitrary: the first rows' coordinates up to sign.
    "first_abs": [[abs(float(p[0])), abs(float(p[1]))] for p in points[:10]],
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "expected.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print(out["explained_variance_ratio"])
