"""The features matrix written block by block (:mod:`telecom_nb.features.stacking`): the
cells of one stacking at the end, whatever happens to a block after it is written."""

from __future__ import annotations

import numpy as np
import pytest

from telecom_nb import schema as S
from telecom_nb.features import KpiFeatures, tick_kernels
from telecom_nb.features.peers import PeerComparison
from telecom_nb.features.stacking import Stacking
from telecom_nb.features.tick_kernels import agreeing_numpy as agreeing
from tests.test_tick_release import _ticks


def _blocks() -> tuple[np.ndarray, list[np.ndarray], list[bool]]:
    rng = np.random.default_rng(5)
    season = rng.standard_t(2, (300, 3))
    season[::13] = 0.0
    blocks = [np.hstack([season, rng.normal(size=(300, 2))]), rng.standard_t(2, (300, 6)),
              rng.normal(size=(300, 1)).astype(np.float32), rng.standard_t(2, (300, 3)),
              np.asfortranarray(rng.normal(size=(300, 4)))]
    blocks[3][5, 2] = np.nan
    return season, blocks, [False, True, False, True, False]


@pytest.mark.parametrize("compiled", [True, False])
def test_blocks_written_one_by_one_equal_one_stacking_and_outlive_their_blocks(
        compiled, monkeypatch):
    season, blocks, agree = _blocks()
    want = np.hstack([agreeing(b, np.tile(season, b.shape[1] // 3)) if a else b
                      for b, a in zip(blocks, agree, strict=True)]).astype(np.float64)
    if not compiled:
        monkeypatch.setattr(tick_kernels, "numba", None)
    width = sum(b.shape[1] for b in blocks)
    spare = np.full((300, width), np.nan)  # a recycled matrix: every cell written again
    out = Stacking(season, width, agreeing, spare)
    for b, a in zip(blocks, agree, strict=True):
        out.put(b, a)
        if compiled:
            b[...] = 7.0  # a block reused or freed once written: the output keeps its cells
    got = out.result()
    assert got.tobytes() == want.tobytes() and got.dtype == np.float64
    assert (got is spare) == compiled


def test_blocks_that_do_not_fill_the_names_are_refused():
    season, blocks, _ = _blocks()
    out = Stacking(season, 8, agreeing)
    out.put(blocks[0])
    with pytest.raises(ValueError, match=r"does not fit columns 5\.\. of the 8"):
        out.put(blocks[1], True)
    out.put(blocks[2])
    with pytest.raises(ValueError, match="6 columns for 8 feature names"):
        out.result()


def test_a_recycled_fleet_tick_reads_each_part_under_its_own_names():
    """Each block in its named columns (seasonal, peer and change limited by the seasonal
    z, novelty, persistence), bit for bit with a fresh matrix as with a recycled one."""
    f = KpiFeatures(kpis=[S.PAYLOAD, S.THROUGHPUT])
    ticks = _ticks(n_ticks=40)
    for batch in ticks[:-1]:
        f.transform(batch)
        f.update(batch)
    view = f.view(ticks[-1])
    fresh = f.transform_view(view)
    f.recycle(np.full_like(fresh, np.nan))
    again = f.transform_view(view)
    assert again.tobytes() == fresh.tobytes()
    names, k = f.feature_names, 2
    z = f._seasonal_z(view)

    def columns(suffix: str) -> np.ndarray:
        return fresh[:, [i for i, n in enumerate(names) if n.endswith(suffix)]]

    assert columns(":season_z").tobytes() == z[:, : z.shape[1]].tobytes()
    peer = next(p for p in f.parts_ if isinstance(p, PeerComparison)).transform_view(view)
    change, novelty = (p.transform_view(view) for p in f.parts_[2:4])
    peer_columns = np.hstack([columns(":peer_z"), columns(":province_z")])
    for got, block in ((peer_columns, peer), (columns(":change_z"), change)):
        want = agreeing(block, np.tile(z[:, :k], block.shape[1] // k))
        assert got.tobytes() == want.tobytes()
    assert columns(":novelty_z").tobytes() == novelty.tobytes()
    persist = f.persistence_.transform(f.rows(view), z)
    assert columns(":persist_z").tobytes() == persist.tobytes()
    assert np.isfinite(fresh).all() and len(names) == fresh.shape[1]
