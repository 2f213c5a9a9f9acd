#!/usr/bin/env bash
# The test suite on this machine's two cores: the unit tests in two worker processes, and
# beside them the browser tests (Chromium driving Voilà and JupyterLab, mostly waiting on
# live streams) then the notebooks under nbval. Exit status: 0 only if all three pass.
# BIN is the virtualenv's bin folder (the Makefile passes it).
set -uo pipefail
BIN=${BIN:-.venv/bin}
log=$(mktemp "${TMPDIR:-/tmp}/telecom_nb_browser_tests.XXXXXX")
chromium_log=$(mktemp "${TMPDIR:-/tmp}/telecom_nb_chromium.XXXXXX")
trap 'rm -f "$log" "$chromium_log" "$chromium_log.done"' EXIT
# Debian's Chromium for the browser tests, installed when missing (apt: network and disk
# more than CPU) beside the warm-up's compiles instead of before them.
{ bash scripts/ensure_chromium.sh >"$chromium_log" 2>&1; touch "$chromium_log.done"; } &
# numba's kernels compiled once, on both cores, before any test process would compile
# them itself (each of them did, ~1 min of CPU on a clean clone): telecom_nb/warm.py.
# The fleet's kernels are ready first (~40 s of CPU against the one series' ~60): the
# browser tests, whose kernels run the fleet's path, start then, on the core it frees.
"$BIN/python" -m telecom_nb.warm series &
series=$!
"$BIN/python" -m telecom_nb.warm fleet || exit 1
# The browser tests one at a time (two at once beside the unit tests' two workers made a
# slow host's run 1,078 s instead of ~735, its CPU 1,668 s instead of ~1,160: live
# kernels, Chromium and servers fighting for two cores), then the notebooks, short runs
# (nbval), still beside the unit tests.
# Only this chain waits for Chromium's install: on a fresh host apt's download and install
# (a minute or two) went on after the warm-up, and the unit tests waited for it as well.
(
    until [ -e "$chromium_log.done" ]; do sleep 1; done
    cat "$chromium_log"
    "$BIN/python" -m pytest -q -p no:cacheprovider tests/browser
    browser_rc=$?
    TELECOM_NB_TICKS=30 "$BIN/python" -m pytest -q -p no:cacheprovider -p nbval --nbval-lax notebooks/
    nbval_rc=$?
    echo "browser tests exit $browser_rc, notebooks (nbval) exit $nbval_rc"
    [ "$browser_rc" -eq 0 ] && [ "$nbval_rc" -eq 0 ]
) >"$log" 2>&1 &
beside=$!
wait "$series" || exit 1
# The unit tests in two pytest-xdist workers, a test file each at a time, heaviest first
# (conftest HEAVY_FIRST); ``UNIT_WORKERS=1`` runs them in this process. On the same code
# (4efa088, clean clone, alone) two workers took 733 s for the whole suite (unit 607 s,
# 1,188 s CPU), one process 770 s (unit 632 s, 1,114 s CPU): less CPU, but the one
# process is the longer chain and the browser tests leave part of the other core idle.
workers=${UNIT_WORKERS:-2}
if [ "$workers" -gt 1 ]; then
    spread=(-n "$workers" --dist loadfile --no-loadscope-reorder)
else
    spread=(-n 0)  # xdist off: the tests in this process
fi
"$BIN/python" -m pytest -q "${spread[@]}" tests --ignore=tests/browser
unit=$?
wait "$beside"
beside_rc=$?
echo "--- tests/browser and notebooks/ (ran beside the unit tests) ---"
cat "$log"
if [ "$unit" -ne 0 ] || [ "$beside_rc" -ne 0 ]; then
    echo "test suite failed: unit tests exit $unit, browser tests + notebooks exit $beside_rc" >&2
    exit 1
fi
