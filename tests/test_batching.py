import numpy as np
import pytest
import torch

from sknn._batching import MiniBatches, TensorData, to_tensor


@pytest.fixture
def data():
    X = torch.arange(20, dtype=torch.float32).reshape(10, 2)
    return TensorData(X, torch.arange(10))


def test_in_order_batches_are_slices_with_a_short_last_batch(data):
    batches = list(MiniBatches(data, batch_size=4))
    assert [len(yb) for _, yb in batches] == [4, 4, 2]
    assert len(MiniBatches(data, batch_size=4)) == 3
    assert torch.equal(torch.cat([yb for _, yb in batches]), torch.arange(10))
    assert batches[0][0].data_ptr() == data.X.data_ptr()  # a view, not a copy


def test_shuffled_batches_cover_every_row_once_and_keep_pairs(data):
    batches = MiniBatches(data, 3, shuffle=True, generator=torch.Generator().manual_seed(0))
    first = torch.cat([yb for _, yb in batches])
    second = torch.cat([yb for _, yb in batches])
    assert sorted(first.tolist()) == list(range(10))
    assert not torch.equal(first, second)  # a new order at every pass
    for Xb, yb in batches:
        assert torch.equal(Xb[:, 0], 2.0 * yb)


def test_shuffle_is_reproducible_from_the_seed(data):
    def order(seed):
        batches = MiniBatches(
            data, 4, shuffle=True, generator=torch.Generator().manual_seed(seed)
        )
        return torch.cat([yb for _, yb in batches])

    assert torch.equal(order(3), order(3))


def test_to_tensor_keeps_dtype_and_copies_read_only_arrays():
    array = np.arange(6, dtype=np.float32).reshape(3, 2)
    array.setflags(write=False)
    tensor = to_tensor(array, torch.device("cpu"))
    assert tensor.dtype == torch.float32
    assert np.array_equal(tensor.numpy(), array)
    writable = np.ones((2, 2), dtype=np.float32)
    assert to_tensor(writable, torch.device("cpu")).data_ptr() == writable.ctypes.data
