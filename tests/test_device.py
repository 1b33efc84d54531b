import pytest
import torch

from sknn._device import resolve_device


@pytest.mark.parametrize("device", ["cpu", torch.device("cpu")])
def test_cpu(device):
    assert resolve_device(device) == torch.device("cpu")


def test_auto_prefers_cuda_then_mps_then_cpu():
    expected = "cuda" if torch.cuda.is_available() else None
    if expected is None:
        mps = getattr(torch.backends, "mps", None)
        expected = "mps" if mps is not None and mps.is_available() else "cpu"
    assert resolve_device("auto").type == expected


@pytest.mark.parametrize("bad", ["gpu", "cuda:x", "", "meta", "xla"])
def test_not_a_device_name(bad):
    with pytest.raises(ValueError, match="'device' parameter"):
        resolve_device(bad)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present")
@pytest.mark.parametrize("device", ["cuda", "cuda:0", torch.device("cuda", 1)])
def test_cuda_requested_without_cuda_says_so(device):
    with pytest.raises(ValueError, match="CUDA is not available"):
        resolve_device(device)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_index_out_of_range():
    with pytest.raises(ValueError, match="CUDA device"):
        resolve_device(f"cuda:{torch.cuda.device_count()}")


def test_mps_requested_without_mps_says_so():
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        pytest.skip("MPS is present")
    with pytest.raises(ValueError, match="MPS"):
        resolve_device("mps")
