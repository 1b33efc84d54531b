"""Data as tensors on a device, cut into mini-batches by indexing.

The data set is converted to tensors once; each epoch draws one permutation and
every mini-batch is a slice (in order) or an ``index_select`` (shuffled) of the
tensors already on the device. There is no per-sample ``Dataset.__getitem__``
and no collation.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.utils.data import Dataset


def to_tensor(array: np.ndarray, device: torch.device) -> torch.Tensor:
    """Move a numpy array to ``device`` without changing its dtype.

    Read-only arrays (memory maps, arrays shared between processes) are copied,
    since torch tensors cannot safely view them.
    """
    if not array.flags.writeable:
        array = np.array(array)
    return torch.from_numpy(array).to(device)


class TensorData(Dataset):
    """Inputs ``X`` and targets ``y`` held as tensors on one device.

    Parameters
    ----------
    X : torch.Tensor of shape (n_samples, n_features)
    y : torch.Tensor of shape (n_samples, ...)
    """

    def __init__(self, X: torch.Tensor, y: torch.Tensor) -> None:
        self.X = X
        self.y = y

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, index):
        return self.X[index], self.y[index]


class MiniBatches:
    """Iterate over ``(X_batch, y_batch)`` pairs of a :class:`TensorData`.

    Parameters
    ----------
    data : TensorData
    batch_size : int
        Rows per batch; the last batch holds what is left.
    shuffle : bool, default=False
        Draw a new order of the rows at each pass.
    generator : torch.Generator or None, default=None
        CPU generator for the order; needed when ``shuffle`` is True.
    """

    def __init__(
        self,
        data: TensorData,
        batch_size: int,
        shuffle: bool = False,
        generator: torch.Generator | None = None,
    ) -> None:
        self.data = data
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self) -> int:
        return math.ceil(len(self.data) / self.batch_size)

    def __iter__(self):
        X, y = self.data.X, self.data.y
        n, size = len(X), self.batch_size
        if not self.shuffle:
            for start in range(0, n, size):
                yield X[start : start + size], y[start : start + size]
            return
        order = torch.randperm(n, generator=self.generator).to(X.device)
        for start in range(0, n, size):
            rows = order[start : start + size]
            yield X.index_select(0, rows), y.index_select(0, rows)
