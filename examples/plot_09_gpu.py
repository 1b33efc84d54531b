"""
Training on a GPU with ``device``
=================================

The lecture moves the model and the data to a ``device`` (``"cpu"`` or
``"cuda"``). In sknn that is one parameter: ``device="cuda"`` trains and
predicts on the GPU, ``device="auto"`` takes a GPU when there is one and the
CPU otherwise, so this example runs anywhere. The data set is copied to the
device once; mini-batches are cut from it there.

What a device buys depends on the batch size: each mini-batch is one step of a
few large matrix products, and a GPU does a large product in about the time of
a small one. Below, one epoch of the same network is timed for several batch
sizes on every device this machine has.
"""

# %%
import time
import warnings

import matplotlib.pyplot as plt
import torch
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from sknn import ReLUMLPClassifier

# These fits run a fixed number of epochs on purpose: no warning that more
# epochs would lower the loss further.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = make_classification(
    n_samples=10_000, n_features=40, n_informative=20, random_state=0
)
devices = ["cpu"]
if torch.cuda.is_available():
    devices.append("cuda")
if torch.backends.mps.is_available():
    devices.append("mps")
print(f"devices on this machine: {devices}")

batch_sizes = [32, 128, 512, 2048]
epochs = 2
seconds = {device: [] for device in devices}
for device in devices:
    # a short fit first, so that no timed fit pays the device's start-up
    # (a CUDA context, its libraries' first calls)
    ReLUMLPClassifier((256, 256), max_epochs=1, device=device).fit(X, y)
    for batch_size in batch_sizes:
        model = ReLUMLPClassifier(
            (256, 256),
            batch_size=batch_size,
            max_epochs=epochs,
            tol=0.0,
            device=device,
            random_state=0,
        )
        start = time.perf_counter()
        model.fit(X, y)
        seconds[device].append((time.perf_counter() - start) / epochs)
        print(
            f"{device}, batch_size={batch_size}: {seconds[device][-1]:.3f} s "
            f"per epoch, training accuracy {model.score(X, y):.3f}"
        )

# %%
# Fewer, larger steps make an epoch faster on any device; on a GPU much more
# so, while the CPU soon does as much arithmetic per second as it can. (Fewer
# steps per epoch also means more epochs to reach the same loss: the batch
# size is a hyper-parameter, see the mini-batch example.)
fig, ax = plt.subplots(figsize=(6, 3.8), layout="constrained")
for device in devices:
    ax.plot(batch_sizes, seconds[device], marker="o", label=device)
ax.set(
    xscale="log",
    ylim=(0, None),
    xlabel="batch_size",
    ylabel="seconds per epoch",
    title="One epoch of a (256, 256) network, 10,000 rows",
)
ax.set_xticks(batch_sizes, [str(size) for size in batch_sizes])
ax.xaxis.set_minor_locator(plt.NullLocator())
ax.legend(title="device", loc="upper right")
if devices == ["cpu"]:
    ax.text(
        0.03,
        0.05,
        "No GPU on the machine that drew this figure:\n"
        "run it with one to see the GPU's line.",
        transform=ax.transAxes,
        fontsize="small",
        color="0.35",
    )
plt.show()

# %%
# ``device="auto"`` picks a GPU when there is one. A model trained on a GPU
# predicts on the CPU after ``set_params(device="cpu")``, and a saved one
# loads on a machine without a GPU (it is given ``device="cpu"``).
