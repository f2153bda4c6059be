# Sourced after tests/e2e/lib.sh (e2e_setup: $tmp, $pids, $ccfaas, $repo) by the S3 stream
# test and bench (issue 18): a real S3 server and `ccfaas up` with the stream service.
s3dir=$repo/tests/s3
# s3_available: node and the pinned s3rver are installed (scripts/install-deps)
s3_available() {
    command -v node >/dev/null 2>&1 && [ -f "$s3dir/node_modules/@20minutes/s3rver/package.json" ]
}
# s3_start BUCKET: s3rver on a free port, its data in $tmp/s3; its URL in $S3 (empty if it
# did not start: the reason in $tmp/s3.err)
s3_start() {
    S3=
    for _ in 1 2 3; do
        local port
        port=$(free_port)
        node "$s3dir/s3rver.js" "$tmp/s3" "$port" "$1" >"$tmp/s3.out" 2>"$tmp/s3.err" &
        pids+=($!)
        for _ in $(seq 50); do grep -qs listening "$tmp/s3.out" && break; sleep 0.1; done
        grep -qs listening "$tmp/s3.out" && break
    done
    S3=$(sed -n 's/^listening \(http:[^ ]*\)/\1/p' "$tmp/s3.out")
}
# s3put FILE BUCKET/KEY: a signed PUT (s3rver's built-in account S3RVER/S3RVER); prints the status
s3put() {
    curl -q -sS --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
        -o /dev/null -w "%{http_code}" -T "$1" "$S3/${2// /%20}"
}
# s3_up: `ccfaas up` with every service on free ports, data in $tmp/data, 10 instance ports;
# sets $SS (the stream service), CCFAAS_URL, CCFAAS_TRUST ($tmp/data/trust.json), $up_pid.
# Returns non-zero (the output in $tmp/up.out, up.err) when it did not start.
s3_up() {
    local first
    first=$(free_port 10)
    for _ in 1 2 3; do
        "$ccfaas" up --data-dir "$tmp/data" --proxy-port 0 --vaas-port 0 --ccfaas-port 0 --kbs-port 0 \
            --workorder-port 0 --s3stream-port 0 --instance-ports "$first-$((first + 9))" \
            >"$tmp/up.out" 2>"$tmp/up.err" &
        up_pid=$!
        pids+=("$up_pid")
        for _ in $(seq 100); do grep -qs "ccfaas up: ready" "$tmp/up.out" && break; kill -0 $up_pid 2>/dev/null || break; sleep 0.1; done
        grep -qs "ccfaas up: ready" "$tmp/up.out" && break
        first=$(free_port 10)
    done
    SS=$(sed -n 's/^ *s3stream: \(http:[^ ]*\).*/\1/p' "$tmp/up.out")
    CCFAAS_URL=$(sed -n 's/.*export CCFAAS_URL=\([^;]*\);.*/\1/p' "$tmp/up.out")
    export CCFAAS_URL CCFAAS_TRUST=$tmp/data/trust.json
    [ -n "$SS" ] && [ -n "$CCFAAS_URL" ]
}
