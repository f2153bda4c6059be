# Sourced by the end-to-end tests (tests/e2e/test-*) after lib.sh (issue 24).
# api METHOD URL STATUS [FILE]: the body (default $tmp/body) is what docs/api/openapi.yaml
# says METHOD URL answers with STATUS, checked by tests/api/validate-body (python3-jsonschema,
# objects closed); counted and reported with lib.sh's check.
api() {
    local out
    out=$(/usr/bin/python3 "$repo/tests/api/validate-body" "$1" "$2" "$3" "${4:-$tmp/body}" 2>&1)
    check "openapi: $1 $2 $3" $? "$out"
}

# api_later METHOD URL STATUS [FILE]: as api, for calls made inside a command substitution
# (a subshell, where check's counters are lost): problems are collected in
# $tmp/api.problems and reported by one check, api_conforms, at the end.
api_later() {
    local out
    echo $(($(cat "$tmp/api.count" 2>/dev/null || echo 0) + 1)) >"$tmp/api.count"
    out=$(/usr/bin/python3 "$repo/tests/api/validate-body" "$1" "$2" "$3" "${4:-$tmp/body}" 2>&1) ||
        printf 'openapi: %s %s %s: %s\n' "$1" "$2" "$3" "$out" >>"$tmp/api.problems"
    return 0
}
# conforms NAME DOCUMENT: one check that the $tmp/NAME.count answers validated later were all
# what DOCUMENT says (problems in $tmp/NAME.problems)
conforms() {
    local n rc
    n=$(cat "$tmp/$1.count" 2>/dev/null || echo 0)
    : >>"$tmp/$1.problems"
    [ "$n" -gt 0 ] && [ ! -s "$tmp/$1.problems" ]
    rc=$? # before the name's command substitution resets $?
    check "all $n answers validated against $2" $rc "$(head -20 "$tmp/$1.problems")"
}
api_conforms() { conforms api docs/api/openapi.yaml; }
