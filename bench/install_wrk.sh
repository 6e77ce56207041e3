#!/usr/bin/env bash
# tox -e bench: install Debian's wrk when it is missing and we may (root, apt-get); otherwise
# bench/run.py falls back to its Python load generator. Never fails the run.
if command -v wrk >/dev/null; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q wrk >/dev/null 2>&1; }
fi
command -v wrk >/dev/null || echo "wrk is not installed: bench/run.py uses its Python load generator"
exit 0
