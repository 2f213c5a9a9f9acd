"""The one KPI table schema shared by simulated, replayed and scored data.

Every stage (source -> features -> detector -> pipeline -> sinks) speaks this
schema, so a replayed file and the simulator are interchangeable.
"""

from __future__ import annotations

from typing import Final

TIMESTAMP: Final = "timestamp"  # tz-aware UTC
SECTOR: Final = "sector_id"  # str
PROVINCE: Final = "province"  # str
LAT: Final = "lat"
LON: Final = "lon"

PAYLOAD: Final = "payload_mb"  # data volume in the reporting interval
THROUGHPUT: Final = "throughput_mbps"  # mean user DL throughput
PRB: Final = "prb_pct"  # PRB utilisation, 0-100
AVAILABILITY: Final = "availability_pct"  # 0-100

KPIS: Final[tuple[str, ...]] = (PAYLOAD, THROUGHPUT, PRB, AVAILABILITY)
PERCENT_KPIS: Final[tuple[str, ...]] = (PRB, AVAILABILITY)
ID_COLUMNS: Final[tuple[str, ...]] = (TIMESTAMP, SECTOR, PROVINCE, LAT, LON)

# Ground truth added by the simulator: "" when normal, else the fault kind.
FAULT: Final = "fault"

# Added by scoring.
SCORE: Final = "score"  # float, higher = more anomalous
IS_ANOMALY: Final = "is_anomaly"  # bool
TOP_KPI: Final = "top_kpi"  # str, the KPI that drove the score ("" when normal)
# float: the episode's peak score on the row that opened or escalated an alert, else 0
ALERT_SCORE: Final = "alert_score"

# str: the sector's alert state on this row: "normal", "anomalous", or "recovering"
# (an alert episode still open on a normal tick)
STATE: Final = "state"

# Added to a written scored table, right after TIMESTAMP: the network's wall clock (tz-aware,
# its offset kept), since a person reads an export's times in local time.
LOCAL_TIME: Final = "local_time"

SCORED_COLUMNS: Final[tuple[str, ...]] = (SCORE, IS_ANOMALY, TOP_KPI, ALERT_SCORE, STATE)

# A file with no sector column is one series; it gets this sector id.
SINGLE_SERIES_ID: Final = "series"
# Rows with no province (replayed files often lack one) are grouped under this.
UNKNOWN_PROVINCE: Final = "unknown"
