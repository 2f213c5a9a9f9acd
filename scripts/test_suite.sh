#!/usr/bin/env bash
# The test suite on this machine's two cores: the browser tests (Chromium driving Voilà and
# JupyterLab, mostly waiting on live streams) run beside the unit tests, which keep the
# other core busy; one after the other they took ~9 of CI's 10 minutes. Exit status: 0 only
# if both pass. BIN is the virtualenv's bin folder (the Makefile passes it).
set -uo pipefail
BIN=${BIN:-.venv/bin}
log=$(mktemp "${TMPDIR:-/tmp}/telecom_nb_browser_tests.XXXXXX")
trap 'rm -f "$log"' EXIT
"$BIN/python" -m pytest -q -p no:cacheprovider tests/browser >"$log" 2>&1 &
browser=$!
"$BIN/python" -m pytest -q tests --ignore=tests/browser
unit=$?
wait "$browser"
browser_rc=$?
echo "--- tests/browser (ran beside the unit tests) ---"
cat "$log"
if [ "$unit" -ne 0 ] || [ "$browser_rc" -ne 0 ]; then
    echo "test suite failed: unit tests exit $unit, browser tests exit $browser_rc" >&2
    exit 1
fi
