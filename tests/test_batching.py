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


def test_sparse_rows_densify_exactly_the_rows_asked_for():
    from scipy import sparse

    from sknn._batching import SparseRows, select_rows, slice_rows

    rng = np.random.RandomState(0)
    dense = rng.rand(30, 7).astype(np.float32)
    dense[dense < 0.7] = 0
    dense[4] = 0  # an empty row
    rows = SparseRows(sparse.csc_matrix(dense), torch.device("cpu"))
    assert len(rows) == 30 and rows.dtype == torch.float32
    pick = torch.tensor([4, 0, 29, 4, 13])
    np.testing.assert_array_equal(select_rows(rows, pick).numpy(), dense[pick.numpy()])
    np.testing.assert_array_equal(slice_rows(rows, 25, 40).numpy(), dense[25:])
    assert select_rows(rows, torch.tensor([], dtype=torch.long)).shape == (0, 7)


def test_sparse_rows_sum_duplicate_entries():
    from scipy import sparse

    from sknn._batching import SparseRows

    coo = sparse.coo_matrix(([1.0, 2.0, 5.0], ([0, 0, 1], [2, 2, 0])), shape=(2, 3))
    rows = SparseRows(coo.astype(np.float32), torch.device("cpu"))
    assert rows.take(torch.tensor([0, 1])).tolist() == [[0, 0, 3], [5, 0, 0]]
