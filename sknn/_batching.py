"""Data as tensors on a device, cut into mini-batches by indexing.

The data set is converted to tensors once; each epoch draws one permutation and
every mini-batch is a slice (in order) or an ``index_select`` (shuffled) of the
tensors already on the device. There is no per-sample ``Dataset.__getitem__``
and no collation.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch
from scipy import sparse
from torch.utils.data import Dataset


class SparseRows:
    """A CSR matrix on a device whose rows are densified a few at a time.

    Holds the row pointers, column indices and values as tensors; :meth:`take`
    returns chosen rows as a dense tensor, built on the device, so the whole matrix
    is never densified.

    Parameters
    ----------
    matrix : scipy.sparse matrix or array
        Any sparse format; converted once to CSR with summed duplicates (on a
        copy: the caller's matrix is never changed).
    device : torch.device
    """

    def __init__(self, matrix, device: torch.device) -> None:
        csr = sparse.csr_matrix(matrix)
        if not csr.has_canonical_format:
            # csr_matrix may share the caller's arrays, which summing rewrites
            csr = csr.copy()
            csr.sum_duplicates()
        self.shape = csr.shape
        self.dtype = torch.from_numpy(np.empty(0, csr.dtype)).dtype
        self.device = device
        self.crow = torch.from_numpy(csr.indptr.astype(np.int64)).to(device)
        self.col = torch.from_numpy(csr.indices.astype(np.int64)).to(device)
        self.values = torch.from_numpy(np.array(csr.data)).to(device)

    def __len__(self) -> int:
        return self.shape[0]

    def take(self, rows: torch.Tensor) -> torch.Tensor:
        """The dense rows ``rows`` (a 1-D index tensor on the device)."""
        starts = self.crow[rows]
        counts = self.crow[rows + 1] - starts
        offsets = torch.cumsum(counts, 0) - counts
        total = int(offsets[-1] + counts[-1]) if len(rows) else 0
        batch_row = torch.repeat_interleave(
            torch.arange(len(rows), device=self.device), counts, output_size=total
        )
        within = torch.arange(total, device=self.device) - offsets[batch_row]
        position = starts[batch_row] + within
        dense = torch.zeros(len(rows), self.shape[1], dtype=self.dtype, device=self.device)
        dense[batch_row, self.col[position]] = self.values[position]
        return dense


def to_tensor(array, device: torch.device):
    """Move a numpy array to ``device`` without changing its dtype; a scipy sparse
    matrix becomes :class:`SparseRows`.

    Read-only arrays (memory maps, arrays shared between processes) are copied,
    since torch tensors cannot safely view them.
    """
    if sparse.issparse(array):
        return SparseRows(array, device)
    if not array.flags.writeable:
        array = np.array(array)
    return torch.from_numpy(array).to(device)


def slice_rows(X, start: int, stop: int) -> torch.Tensor:
    """Rows ``start:stop`` of a tensor (a view) or of :class:`SparseRows` (dense)."""
    if isinstance(X, SparseRows):
        return X.take(torch.arange(start, min(stop, len(X)), device=X.device))
    return X[start:stop]


def select_rows(X, rows: torch.Tensor) -> torch.Tensor:
    """The rows ``rows`` of a tensor or of :class:`SparseRows`, dense."""
    if isinstance(X, SparseRows):
        return X.take(rows)
    return X.index_select(0, rows)


class Weighted(NamedTuple):
    """Targets with a weight per row: what a mini-batch carries as its ``y`` when
    the rows are weighted (:meth:`sknn._net.TensorNet.get_loss` takes it apart)."""

    y: torch.Tensor
    weight: torch.Tensor


class TensorData(Dataset):
    """Inputs ``X``, targets ``y`` and optional row weights held as tensors on one
    device.

    Parameters
    ----------
    X : torch.Tensor of shape (n_samples, n_features) or SparseRows
    y : torch.Tensor of shape (n_samples, ...)
    weight : torch.Tensor of shape (n_samples,) or None, default=None
        Weight of each row in the loss; None weighs rows equally.
    """

    def __init__(
        self, X: torch.Tensor, y: torch.Tensor, weight: torch.Tensor | None = None
    ) -> None:
        self.X = X
        self.y = y
        self.weight = weight

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, index):
        y = self.y[index]
        return self.X[index], y if self.weight is None else Weighted(y, self.weight[index])

    def target(self, rows: slice | torch.Tensor):
        """The targets of ``rows`` (a slice, or an index tensor on the device), with
        their weights as :class:`Weighted` when the rows are weighted."""
        if isinstance(rows, slice):
            y = self.y[rows]
            return y if self.weight is None else Weighted(y, self.weight[rows])
        y = self.y.index_select(0, rows)
        return y if self.weight is None else Weighted(y, self.weight.index_select(0, rows))


class MiniBatches:
    """Iterate over ``(X_batch, y_batch)`` pairs of a :class:`TensorData`; with row
    weights, ``y_batch`` is :class:`Weighted`.

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

    def order(self) -> torch.Tensor:
        """A new order of the rows, as the next pass over the batches draws it (on
        the CPU)."""
        return torch.randperm(len(self.data), generator=self.generator)

    def __iter__(self):
        data = self.data
        n, size = len(data), self.batch_size
        if not self.shuffle:
            if size >= n and not isinstance(data.X, SparseRows):
                # one batch of all rows: the tensors themselves, without slicing
                y = data.y
                yield data.X, y if data.weight is None else Weighted(y, data.weight)
                return
            for start in range(0, n, size):
                yield (
                    slice_rows(data.X, start, start + size),
                    data.target(slice(start, start + size)),
                )
            return
        order = self.order().to(data.y.device)
        for start in range(0, n, size):
            rows = order[start : start + size]
            yield select_rows(data.X, rows), data.target(rows)
