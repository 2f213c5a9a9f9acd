"""sklearn's helpers as the fast forest reproduces them: the same bytes, and no sklearn
import on the live path."""

import numpy as np
import pytest
from child_python import child_stdout
from sklearn.ensemble._iforest import _average_path_length
from sklearn.utils import check_random_state as sk_check_random_state
from sklearn.utils.random import sample_without_replacement as sk_sample

from telecom_nb.detectors import sklearn_parts
from telecom_nb.detectors.sklearn_parts import (
    MAX_INT,
    average_path_length,
    check_random_state,
    sample_without_replacement,
    sklearn_version,
)


def test_average_path_length_is_sklearns_bytes():
    rng = np.random.default_rng(2236)
    inputs = [
        [0],
        [1],
        [2],
        [3],
        [256],
        [0, 1, 2, 3],
        np.arange(5000),
        rng.integers(0, 10**9, 2000),
        rng.integers(0, 300, (7, 9)),
        np.array([1.0, 2.0, 2.5, 1e12]),
        np.float32([3, 7.5]),
        [10**15],
    ]
    for n in inputs:
        ours, theirs = average_path_length(n), _average_path_length(n)
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        assert ours.tobytes() == theirs.tobytes(), n


def test_random_state_and_constants_are_sklearns():
    import sklearn
    from sklearn.ensemble._bagging import MAX_INT as SK_MAX_INT

    assert MAX_INT == SK_MAX_INT and sklearn_version() == sklearn.__version__
    assert check_random_state(None) is sk_check_random_state(None) is np.random.mtrand._rand
    rs = np.random.RandomState(5)
    assert check_random_state(rs) is rs
    a, b = check_random_state(2237), sk_check_random_state(2237)
    assert a.randint(MAX_INT, size=50).tobytes() == b.randint(MAX_INT, size=50).tobytes()
    with pytest.raises(ValueError, match="cannot be used to seed"):
        check_random_state("x")


@pytest.mark.parametrize(
    ("n_population", "n_samples"),
    [
        (0, 0),
        (1, 1),
        (5, 5),
        (256, 256),
        (258, 256),
        (300, 256),  # reservoir (ratio >= 0.99)
        (1000, 256),
        (25_600, 256),  # permutation
        (25_601, 256),
        (100_000, 256),
        (10**7, 256),
        (50, 3),  # tracking selection
    ],
)
def test_sample_without_replacement_is_sklearns(n_population, n_samples):
    for seed in (0, 1, 2236, 2**31 - 2):
        ours = sample_without_replacement(n_population, n_samples, np.random.RandomState(seed))
        theirs = sk_sample(n_population, n_samples, random_state=np.random.RandomState(seed))
        assert ours.dtype == theirs.dtype and ours.tobytes() == theirs.tobytes()
    with pytest.raises(ValueError, match="n_samples > n_population"):
        sample_without_replacement(3, 4)


def test_the_live_path_imports_no_sklearn(tmp_path):
    """A child process: the engine, the replay, a fast forest's fit and walk and a live
    monitor's ticks and checkpoint leave sklearn out of ``sys.modules`` (it costs ~50 MiB
    of resident memory)."""
    code = (
        "import asyncio, sys, numpy as np\n"
        "import telecom_nb.engine, telecom_nb.cli, telecom_nb.sources.replay\n"
        "from telecom_nb.detectors.forest_fit import fit_flat_forest\n"
        "from telecom_nb.engine.monitor import Monitor\n"
        "x = np.random.default_rng(0).normal(size=(30_000, 3))\n"
        "for n in (200, 400, 30_000):  # each draw of sklearn's sample_without_replacement\n"
        "    fit_flat_forest(x[:n], n_estimators=5, random_state=1).score_samples(x)\n"
        f"m = Monitor.simulated(n_sectors=20, seed=3, interval=0, store={str(tmp_path / 's.db')!r},"
        " checkpoint_every=None)\n"
        "asyncio.run(m.step(30))\n"
        "m.stop()\n"
        "assert m.checkpoint() is not None and m.detector.is_ready\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn')[:3])\n"
    )
    out = child_stdout(code)
    assert out == "[]", out


def test_no_sklearn_import_at_module_level():
    assert "sklearn" not in vars(sklearn_parts)
