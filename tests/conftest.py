import pytest

from ._helpers import CPU_BACKENDS


@pytest.fixture(params=CPU_BACKENDS)
def cpu_backend(request):
    """Each CPU backend available here (numpy always, numba when importable)."""
    return request.param
