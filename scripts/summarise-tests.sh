#!/usr/bin/env bash
# Filters `swift test` output down to failures and tallies; the full log is kept beside it.
# When the test process dies before its tally (a crash), it names the tests still running.
# The exit status of the run comes from `swift test` itself (pipefail in the caller).
awk '
/✘|error:|Fatal error|Test run with|Executed [0-9]+ test|failed \(/ { print; fflush() }
/Test run with|Executed [0-9]+ test/ { finished = 1 }
$2 == "Test" && $3 != "case" && / started\.$/ {
    name = $0; sub(/^[^ ]+ Test /, "", name); sub(/ started\.$/, "", name); running[name] = 1
}
$2 == "Test" && / (passed|failed|skipped)/ {
    name = $0; sub(/^[^ ]+ Test /, "", name); sub(/( with [0-9]+ test cases?)? (passed|failed|skipped).*$/, "", name); delete running[name]
}
END {
    if (finished) exit
    count = 0
    for (name in running) count++
    if (count == 0) exit
    print "Tests still running when the test process ended:"
    for (name in running) print "  " name
}'
