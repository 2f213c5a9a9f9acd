"""A fleet's slot level learns per hour of data: a multi-day level change fades as slowly
at 15 minutes as hourly (a 15-minute slot's four samples a day learned it four times as fast)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from feature_loop import by_timestamp
from test_calendar import fleet

from telecom_nb import schema as S
from telecom_nb.features import SeasonalResiduals

DAY = pd.Timedelta("1D")
#: the fault's traffic (about two spreads of the fleet's 5 % noise: learned, not gated)
FACTOR = 0.8


def held_z(step: str) -> tuple[float, float]:
    """Sector s0's payload at FACTOR from day 4 on: its mean seasonal z over the busy hours
    of the fault's first and third days."""
    table = fleet(set(), "UTC", weeks=1.0, step=step, n_sectors=12, seed=3)
    start = table[S.TIMESTAMP].min() + 4 * DAY
    hit = ((table[S.SECTOR] == "s0") & (table[S.TIMESTAMP] >= start)).to_numpy()
    table.loc[hit, S.PAYLOAD] *= FACTOR
    f = SeasonalResiduals(kpis=[S.PAYLOAD, S.THROUGHPUT])
    view = f.view(table)
    f.prepare_view(view)
    col = f.feature_names.index(f"{S.PAYLOAD}:season_z")
    z = np.concatenate([x[:, col] for *_, x in by_timestamp(f, view)])
    t = table[S.TIMESTAMP]
    busy = hit & (t.dt.hour >= 9).to_numpy() & (t.dt.hour < 21).to_numpy()
    first = busy & (t < start + DAY).to_numpy()
    third = busy & (t >= start + 2 * DAY).to_numpy()
    return float(z[first].mean()), float(z[third].mean())


def test_a_held_level_change_fades_no_faster_per_day_at_fifteen_minutes_than_hourly(
        monkeypatch):
    from telecom_nb.features import seasonal_learn

    # the slot's memory per hour of data alone: a run's slowing (slot_run, its own test)
    # keeps more of it at both cadences, less evenly (the pooled spread learns per sample)
    monkeypatch.setattr(seasonal_learn, "_run_weight", lambda season: 0.0)
    first_h, third_h = held_z("1h")
    first_q, third_q = held_z("15min")
    assert first_h < -1.2 and first_q < -1.2  # the drop reads on its first day at both
    # by the third day an hourly slot has learned some of it; a 15-minute one no more
    # (per sample it kept ~31 % of the first day's z where hourly kept ~46 %)
    assert third_q / first_q > third_h / first_h - 0.05
