"""A KPI that starts reporting mid-stream is no evidence until the model has seen it live."""

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.detectors.kpi_births import UNREAD
from telecom_nb.detectors.registry import make_detector
from telecom_nb.engine.replay import replay

KPIS = ["DL Volume (MB)", "Drop Rate (%)", "Throughput (Mbps)"]
LATE = "NR Users"


def _fleet(cells: int = 20, days: int = 5, late_days: int = 2, seed: int = 2317) -> pd.DataFrame:
    """A clean hourly fleet; ``LATE`` blank on every cell for its first ``late_days``."""
    rng = np.random.default_rng(seed)
    times = pd.date_range("2026-10-01", periods=days * 24, freq="1h", tz="UTC")
    hours = times.hour.to_numpy()
    day = 0.4 + 0.6 * np.exp(-((hours - 20) ** 2) / 30) + 0.4 * np.exp(-((hours - 12) ** 2) / 12)
    scale = rng.uniform(0.5, 1.5, cells)
    n = len(times)
    table = pd.DataFrame(
        {
            schema.TIMESTAMP: np.repeat(times, cells),
            schema.SECTOR: np.tile([f"C{i:02d}" for i in range(cells)], n),
        }
    )
    for kpi, base, daily in (
        (KPIS[0], 800, True),
        (KPIS[1], 0.6, False),
        (KPIS[2], 25, True),
        (LATE, 12, True),
    ):
        level = base * (day[:, None] if daily else 1.0) * scale[None, :]
        table[kpi] = np.abs(level * (1 + rng.normal(0, 0.06, (n, cells)))).ravel()
    table.loc[: late_days * 24 * cells - 1, LATE] = np.nan
    return table


def _flagged(table: pd.DataFrame, kpis: list[str], days: int) -> tuple[int, object]:
    """Rows flagged from day ``days`` on, and the detector after the replay."""
    det = make_detector("iforest")
    scored = replay(table, det, kpis).frame
    stamps = scored[schema.TIMESTAMP]
    later = (stamps >= stamps.min() + pd.Timedelta(days=days)).to_numpy()
    return int(scored[schema.IS_ANOMALY].to_numpy(dtype=bool)[later].sum()), det


def test_a_kpi_coming_alive_does_not_flood_the_fleet():
    table = _fleet()
    without, _ = _flagged(table.drop(columns=[LATE]), KPIS, 2)
    late, det = _flagged(table, [*KPIS, LATE], 2)
    # main: 268 rows from the KPI's first day on (without the KPI: 199)
    assert late <= without, (late, without)
    # live for 3 of the 5 days: the last model reads it
    assert UNREAD not in det._fitted.inputs.params
    assert det.kpi_born_[-1] == pd.Timestamp("2026-10-03", tz="UTC").value


def test_kpis_there_from_the_start_are_read_by_every_fit():
    det = make_detector("iforest")
    fits = []
    make_job = det._make_job

    def noted(now):
        job = make_job(now)
        fits.append(det._pending_fit.params)
        return job

    det._make_job = noted
    replay(_fleet(cells=8, days=3, late_days=0), det, [*KPIS, LATE])
    assert fits and all(UNREAD not in p for p in fits)
