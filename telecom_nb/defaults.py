"""Defaults stated both by the engine and by the CLI's help text.

They live here, in a module that imports nothing, so that ``telecom-nb --help`` can show
them without loading the engine, and so each value is written down once.
"""

#: up to this many series, a detector's window is their own history (one series, a few
#: cells, a service's KPIs): calibrations read its shoulder and memories are data time
FEW_SERIES = 10
#: normal rows in a row that end an alert episode (NAB files are mostly 5-minute data)
ALERT_CLOSE_AFTER = 12
