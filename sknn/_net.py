"""sknn's training engine: a private skorch net fed from tensors on the device.

skorch runs the loop (epochs, callbacks, history, optimizer steps, pickling); this
subclass changes only where data and weights come from:

* ``initialize_module`` builds the module with weights drawn from ``init_seed``
  (see :func:`sknn._modules.build_module`), never from torch's global generator;
* ``get_iterator`` cuts a :class:`~sknn._batching.TensorData` into mini-batches by
  indexing tensors already on the device, instead of a per-sample ``DataLoader``;
* ``get_default_callbacks`` prints the per-epoch table without color codes
  outside a terminal (:class:`~sknn._callbacks.EpochLog`);
* ``get_loss`` averages the criterion's per-element losses, weighing rows when the
  targets come with weights (:class:`~sknn._batching.Weighted`).
"""

from __future__ import annotations

import torch
from skorch import NeuralNet

from ._batching import MiniBatches, TensorData, Weighted
from ._callbacks import EpochLog
from ._modules import build_module


class TensorNet(NeuralNet):
    """skorch ``NeuralNet`` with seeded initialisation and on-device batching.

    Parameters
    ----------
    module : type of torch.nn.Module
        Module class with a ``reset_parameters(generator)`` method; its constructor
        arguments are given as ``module__<name>``.
    criterion : type of torch.nn.Module
        A torch loss; it is built with ``reduction="none"`` unless
        ``criterion__reduction`` says otherwise, as :meth:`get_loss` averages.
    *args, **kwargs
        As for :class:`skorch.NeuralNet`.
    shuffle : bool, default=True
        Reorder the training rows at every epoch.
    init_seed : int, default=0
        Seed of the initial weights.
    shuffle_seed : int, default=0
        Seed of the order of the training rows.
    """

    def __init__(self, module, *args, shuffle=True, init_seed=0, shuffle_seed=0, **kwargs):
        kwargs.setdefault("criterion__reduction", "none")  # get_loss averages
        super().__init__(module, *args, **kwargs)
        self.shuffle = shuffle
        self.init_seed = init_seed
        self.shuffle_seed = shuffle_seed

    def initialize_module(self):
        kwargs = self.get_params_for("module")
        self.module_ = build_module(self.module, kwargs, self.init_seed)
        return self

    def get_default_callbacks(self):
        return [
            (name, EpochLog() if name == "print_log" else callback)
            for name, callback in super().get_default_callbacks()
        ]

    def get_iterator(self, dataset, training=False):
        if not isinstance(dataset, TensorData):
            return super().get_iterator(dataset, training=training)
        batch_size = min(self.batch_size, len(dataset))
        if not (training and self.shuffle):
            return MiniBatches(dataset, batch_size)
        # A fresh stream for every call to fit_loop, so that continuing a fit does
        # not repeat the orders of the epochs already run.
        seed = self.shuffle_seed + len(self.history)
        generator = torch.Generator().manual_seed(seed)
        return MiniBatches(dataset, batch_size, shuffle=True, generator=generator)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The mean loss of a batch: the mean over all elements, or with
        :class:`~sknn._batching.Weighted` targets, the weighted mean of each row's
        loss (its mean over outputs), normalised by the sum of the weights."""
        if not isinstance(y_true, Weighted):
            return self.criterion_(y_pred, y_true).mean()
        losses = self.criterion_(y_pred, y_true.y)
        row_losses = losses.reshape(len(losses), -1).mean(dim=1)
        return (row_losses * y_true.weight).sum() / y_true.weight.sum()
