"""
Training on a GPU with ``device``
=================================

The lecture moves the model and the data to a ``device`` (``"cpu"`` or
``"cuda"``). In sknn that is one parameter: ``device="cuda"`` trains and predicts
on the GPU, ``device="auto"`` takes a GPU when there is one and the CPU
otherwise, so this example runs anywhere. The data set is copied to the device
once; mini-batches are cut from it there.
"""

# %%
import time
import warnings

import matplotlib.pyplot as plt
import torch
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from sknn import ReLUMLPClassifier

# These fits run a fixed number of epochs on purpose: no warning that more epochs
# would lower the loss further.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = make_classification(
    n_samples=20_000, n_features=40, n_informative=20, random_state=0
)
devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
print(f"CUDA available: {torch.cuda.is_available()}; training on {devices}")

seconds = {}
for name in devices:
    model = ReLUMLPClassifier(
        (256, 256), batch_size=256, max_epochs=5, tol=0.0, device=name, random_state=0
    )
    start = time.perf_counter()
    model.fit(X, y)
    seconds[name] = time.perf_counter() - start
    print(f"{name}: 5 epochs in {seconds[name]:.2f} s, accuracy {model.score(X, y):.3f}")

# %%
# ``device="auto"`` would have picked the last of these. A model trained on a GPU
# predicts on the CPU after ``set_params(device="cpu")``, and a pickled one loads on
# a machine without a GPU.
fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
ax.barh(list(seconds), list(seconds.values()))
ax.set(xlabel="seconds for 5 epochs of a (256, 256) network on 20,000 rows")
plt.show()
