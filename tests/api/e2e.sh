# Sourced by the end-to-end tests (tests/e2e/test-*) after lib.sh (issue 24).
# api METHOD URL STATUS [FILE]: the body (default $tmp/body) is what docs/api/openapi.yaml
# says METHOD URL answers with STATUS, checked by tests/api/validate-body (python3-jsonschema,
# objects closed); counted and reported with lib.sh's check.
api() {
    local out
    out=$(/usr/bin/python3 "$repo/tests/api/validate-body" "$1" "$2" "$3" "${4:-$tmp/body}" 2>&1)
    check "openapi: $1 $2 $3" $? "$out"
}
