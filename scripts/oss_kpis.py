"""KPIs of ``make_oss_export.py``'s network from its users and incidents, per RAT.

Counters first (``pmRrcConnEstabAtt``/``Succ``, E-RAB attempts, drops), then the derived
KPIs an OSS report computes from them, so a ratio is as noisy as its counts; radio and
transport KPIs (CQI, uplink RSSI, delay, loss) follow load and conditions. A KPI a layer does
not have (PRB use on GSM, E-RAB on UMTS) is blank on that layer's rows.
"""

from __future__ import annotations

import numpy as np
from oss_world import FAULTS, GSM, LTE, UMTS, Faults, Network

#: KPI columns in report order: (name, decimals or None for an integer counter)
COLUMNS = (
    ("Cell Availability (%)", 2), ("Avg RRC Users", 1),
    ("pmRrcConnEstabAtt", None), ("pmRrcConnEstabSucc", None), ("RRC Setup SR (%)", 2),
    ("pmErabEstabAttInit", None), ("pmErabEstabSuccInit", None), ("ERAB Setup SR (%)", 2),
    ("pmErabRelAbnormalEnbAct", None), ("ERAB Drop Rate (%)", 2),
    ("DL PDCP Volume (MB)", 2), ("UL PDCP Volume (MB)", 2), ("PS Volume (MB)", 2),
    ("CS Traffic (Erl)", 2), ("TCH Drop Rate (%)", 2),
    ("DL User Thp (Mbps)", 2), ("PRB Util DL (%)", 2), ("Avg CQI", 2), ("UL RSSI (dBm)", 1),
    ("DL Latency (ms)", 1), ("DL Pkt Loss (%)", 3),
)
_K = {name: i for i, (name, *_) in enumerate(FAULTS)}


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """100 * num / den, blank where there were no attempts (the report's #DIV/0)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, 100.0 * num / np.maximum(den, 1), np.nan)


def kpis(rng: np.random.Generator, net: Network, users: np.ndarray, fl: Faults,
         step_min: float) -> dict[str, np.ndarray]:
    """(cells, T) arrays per KPI column (NaN where the layer has no such KPI)."""
    n, t = users.shape
    rat = net.rat[:, None]
    lte, umts, gsm = rat == LTE, rat == UMTS, rat == GSM
    k, s, var = fl.kind, fl.strength, fl.variant
    on = lambda name: k == _K[name]  # noqa: E731 - a short mask helper
    down = on("site_outage")
    u = users.copy()
    u = np.where(on("sleeping_cell"), u * 0.03 * s, u)
    u = np.where(on("prb_saturation"), u * (1.8 + 0.8 * s), u)
    u = np.where(on("wrong_parameter") & (var == 0), u * (0.55 + 0.1 * s), u)
    u = np.where(down, 0.0, u)
    load = u / net.capacity[:, None]
    noise = lambda sd: rng.normal(0, sd, (n, t))  # noqa: E731

    # signalling counters: attempts are Poisson in the users, failures binomial
    rate = np.where(lte, 0.5, np.where(umts, 0.35, 0.25)) * step_min
    att = rng.poisson(u * rate)
    p_fail = 0.003 + 0.01 * np.maximum(load - 0.85, 0) + rng.uniform(0, 0.004, (n, 1))
    p_fail = p_fail + np.where(on("setup_failure_surge"), 0.03 + 0.17 * s, 0.0)
    p_fail = p_fail + np.where(on("interference"), 0.01 + 0.02 * s, 0.0)
    succ = att - rng.binomial(att, np.clip(p_fail, 0, 1))
    e_att = rng.poisson(0.85 * succ)
    e_fail = 0.004 + np.where(on("setup_failure_surge"), 0.05 + 0.1 * s, 0.0)
    e_succ = e_att - rng.binomial(e_att, np.clip(e_fail, 0, 1))
    p_drop = rng.uniform(0.002, 0.007, (n, 1)) * np.ones((1, t))
    p_drop = p_drop * np.where(on("interference"), 2 + s, 1.0)
    p_drop = p_drop * np.where(on("transport_congestion"), 1.5, 1.0)
    p_drop = p_drop * np.where(on("wrong_parameter") & (var == 1), 2.0, 1.0)
    p_drop = p_drop * np.where(on("wrong_parameter") & (var == 2), 2.5 + 1.5 * s, 1.0)
    drops = rng.binomial(e_succ, np.clip(p_drop, 0, 1))

    # radio conditions and throughput
    cqi0 = np.where(lte, rng.uniform(8.5, 11.0, (n, 1)), rng.uniform(18, 23, (n, 1)))
    cqi = cqi0 - 0.8 * load + noise(0.2) + 0.8 / np.sqrt(u + 1) * noise(1.0)
    cqi = cqi - np.where(on("interference"), 1.5 + 1.5 * s, 0.0)
    cqi = cqi + np.where(on("wrong_parameter") & (var == 0), 0.7, 0.0)
    rssi0 = np.where(lte, rng.uniform(-118, -110, (n, 1)), rng.uniform(-105, -100, (n, 1)))
    rssi = rssi0 + 4 * np.minimum(load, 1.2) + noise(0.6)
    rssi = rssi + np.where(on("interference"), 5 + 10 * s, 0.0)
    rssi = rssi + np.where(on("wrong_parameter") & (var == 1), 4 + 2 * s, 0.0)
    prb = np.clip(100 * (0.04 + 0.92 * load) * np.exp(noise(0.06)), 0.3, 100.0)
    prb = np.where(on("prb_saturation"), np.maximum(prb, rng.uniform(94, 100, (n, t))), prb)
    peak = np.where(lte, rng.uniform(25, 60, (n, 1)), rng.uniform(3, 8, (n, 1)))
    thp = peak * (1 - 0.8 * np.minimum(prb / 100, 1) ** 2.2) * (cqi / cqi0) ** 1.5
    thp = thp * np.exp(noise(0.08) + 0.3 / np.sqrt(u + 1) * noise(1.0))
    thp = thp * np.where(on("prb_saturation"), 0.5 - 0.25 * s, 1.0)
    thp = thp * np.where(on("interference"), 0.75, 1.0)
    thp = thp * np.where(on("transport_congestion"), 0.5 - 0.25 * s, 1.0)
    latency = rng.uniform(8, 20, (n, 1)) * (1 + 0.6 * np.minimum(load, 1.3) ** 3)
    latency = latency * np.exp(noise(0.07)) * np.where(on("transport_congestion"), 2 + 3 * s, 1)
    loss = rng.gamma(2.0, 0.02, (n, t)) * (1 + load)
    loss = loss + np.where(on("transport_congestion"), 0.5 + 3 * s, 0.0)
    volume = u * thp * 0.02 * 60 * step_min / 8 * np.exp(noise(0.1))  # MB in the period
    volume = volume * np.where(on("transport_congestion"), 0.75, 1.0)

    # GSM: TCH seizures and drops
    tch = rng.poisson(u * 0.3 * step_min)
    tch_drop = rng.binomial(tch, rng.uniform(0.004, 0.012, (n, 1)) * np.ones((1, t)))
    nan = np.full((n, t), np.nan)
    idle = u < 0.5
    out = {
        "Cell Availability (%)": np.where(down, 0.0, 100.0),
        "Avg RRC Users": np.where(gsm, nan, u),
        "pmRrcConnEstabAtt": np.where(gsm, nan, att),
        "pmRrcConnEstabSucc": np.where(gsm, nan, succ),
        "RRC Setup SR (%)": np.where(gsm, nan, _ratio(succ, att)),
        "pmErabEstabAttInit": np.where(lte, e_att, nan),
        "pmErabEstabSuccInit": np.where(lte, e_succ, nan),
        "ERAB Setup SR (%)": np.where(lte, _ratio(e_succ, e_att), nan),
        "pmErabRelAbnormalEnbAct": np.where(lte, drops, nan),
        "ERAB Drop Rate (%)": np.where(lte, _ratio(drops, e_succ), nan),
        "DL PDCP Volume (MB)": np.where(lte, volume, nan),
        "UL PDCP Volume (MB)": np.where(lte, volume * 0.12 * np.exp(noise(0.15)), nan),
        "PS Volume (MB)": np.where(umts, volume, np.where(gsm, volume * 0.05, nan)),
        "CS Traffic (Erl)": np.where(umts, 0.12 * u, np.where(gsm, 0.8 * u, nan)),
        "TCH Drop Rate (%)": np.where(gsm, _ratio(tch_drop, tch), nan),
        "DL User Thp (Mbps)": np.where(gsm | idle | down, nan, thp),
        "PRB Util DL (%)": np.where(lte, np.where(down, 0.0, prb), nan),
        "Avg CQI": np.where(gsm | idle | down, nan, cqi),
        "UL RSSI (dBm)": np.where(gsm | down, nan, rssi),
        "DL Latency (ms)": np.where(lte & ~down & ~idle, latency, nan),
        "DL Pkt Loss (%)": np.where(lte & ~down & ~idle, loss, nan),
    }
    return out
