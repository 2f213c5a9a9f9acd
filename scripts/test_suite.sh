#!/usr/bin/env bash
# The test suite on this machine's two cores: the browser tests (Chromium driving Voilà and
# JupyterLab, mostly waiting on live streams) run beside the unit tests; one after the
# other they took ~9 of CI's 10 minutes on a fast host. Exit status: 0 only if both pass.
# BIN is the virtualenv's bin folder (the Makefile passes it).
set -uo pipefail
BIN=${BIN:-.venv/bin}
log=$(mktemp "${TMPDIR:-/tmp}/telecom_nb_browser_tests.XXXXXX")
trap 'rm -f "$log"' EXIT
# numba's kernels compiled once, on both cores, before any test process would compile
# them itself (each of them did, ~1 min of CPU on a clean clone): telecom_nb/warm.py
"$BIN/python" -m telecom_nb.warm fleet &
fleet=$!
"$BIN/python" -m telecom_nb.warm series || exit 1
wait "$fleet" || exit 1
"$BIN/python" -m pytest -q -p no:cacheprovider tests/browser >"$log" 2>&1 &
browser=$!
# The unit tests in two worker processes (pytest-xdist), a test file each at a time (its
# module fixtures built once): alone they kept one core busy, and once the browser tests
# were done the other core sat idle for the last third of the run. Heaviest files first
# (tests/conftest.py HEAVY_FIRST).
"$BIN/python" -m pytest -q -n logical --dist loadfile --no-loadscope-reorder tests \
    --ignore=tests/browser
unit=$?
wait "$browser"
browser_rc=$?
echo "--- tests/browser (ran beside the unit tests) ---"
cat "$log"
if [ "$unit" -ne 0 ] || [ "$browser_rc" -ne 0 ]; then
    echo "test suite failed: unit tests exit $unit, browser tests exit $browser_rc" >&2
    exit 1
fi
