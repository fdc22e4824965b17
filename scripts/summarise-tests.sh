#!/usr/bin/env bash
# Filters `swift test` output down to failures and tallies; the full log is kept beside it.
# The exit status of the run comes from `swift test` itself (pipefail in the caller).
grep --line-buffered -E '✘|error:|Fatal error|Test run with|Executed [0-9]+ test|failed \(' || true
