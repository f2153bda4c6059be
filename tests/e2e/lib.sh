# Shared by the end-to-end tests (sourced): real processes on loopback.
# A config file of the user running the tests must not change them (client/settings.h).
export CCFAAS_CONFIG=/dev/null
# e2e_setup CCFAAS RUNTIME WASM NATIVE REPO starts a proxy attestation service
# in a temporary directory and defines the helpers below.
e2e_setup() {
    ccfaas=$1 runtime=$2 wasm=$3 native=$(realpath "$4") repo=$5
    certs=$repo/tests/data/certs
    [ -f "$wasm" ] || { echo "SKIP: $wasm not built (needs clang + wasi-libc)"; exit 77; }
    tmp=$(mktemp -d)
    pids=()
    trap e2e_cleanup EXIT
    fail=0 checks=0
    "$ccfaas" serve proxy --listen 127.0.0.1:0 --data-dir "$tmp/px" --quiet >"$tmp/proxy.out" 2>"$tmp/proxy.err" &
    pids+=($!)
    for _ in $(seq 50); do grep -qs listening "$tmp/proxy.out" && break; sleep 0.1; done
    proxy=$(grep -o 'http://[0-9.:]*' "$tmp/proxy.out" | head -1)
    [ -n "$proxy" ] || { echo "FAIL: proxy did not start"; cat "$tmp/proxy.err"; exit 1; }
    ca=$tmp/px/proxy-ca.crt
    # the clients' own anchors (docs/trust.md): this proxy's CA and this runtime, on the
    # development platform; tests that need another trust pass --trust
    "$ccfaas" trust add --trust "$tmp/trust.json" --ca "$ca" --runtime "$runtime" \
        --allow development-platform >/dev/null || { echo "FAIL: ccfaas trust add"; exit 1; }
    export CCFAAS_TRUST=$tmp/trust.json
    e2e_auth
}
# --- credentials (issue 15, docs/auth.md) ---------------------------------------------------
# e2e_auth: one token store for every service of the test ($tmp/auth-seed): e2e-admin (admin)
# and e2e-service (service: what CCFaaS sends to VaaS). Every curl of the test sends the admin
# token ($CURL_HOME/.curlrc; `curl -q` sends none), every `ccfaas function|instance` too
# (CCFAAS_TOKEN_FILE). auth_dir DIR gives a service data directory that store.
e2e_auth() {
    "$ccfaas" user add e2e-admin --role admin --data-dir "$tmp/auth-seed" --out "$tmp/admin.token" >/dev/null &&
    "$ccfaas" user add e2e-service --role service --data-dir "$tmp/auth-seed" \
        --out "$tmp/auth-seed/auth/service.token" >/dev/null || { echo "FAIL: ccfaas user add"; exit 1; }
    printf 'header = "Authorization: Bearer %s"\n' "$(cat "$tmp/admin.token")" >"$tmp/.curlrc"
    export CURL_HOME=$tmp CCFAAS_TOKEN_FILE=$tmp/admin.token
    auth_dir "$tmp/px"
}
auth_dir() { # DIR: the services using DIR accept the test's tokens
    mkdir -p "$1/auth" && chmod 700 "$1" "$1/auth" &&
    cp "$tmp/auth-seed/auth/tokens.json" "$tmp/auth-seed/auth/service.token" "$1/auth/"
}
# token NAME ROLE: a caller NAME in every store of the test; prints its token
token() {
    "$ccfaas" user add "$1" --role "$2" --data-dir "$tmp/auth-seed" --out "$tmp/$1.token" >/dev/null &&
    local d
    for d in "$tmp"/*/auth/tokens.json; do
        [ "$d" == "$tmp/auth-seed/auth/tokens.json" ] && continue
        jq --arg n "$1" --slurpfile s "$tmp/auth-seed/auth/tokens.json" \
            '.tokens += [$s[0].tokens[] | select(.name == $n and .revoked == false)]' "$d" >"$d.new" &&
            chmod 600 "$d.new" && mv "$d.new" "$d"
    done
    cat "$tmp/$1.token"
}
# sanitizer_build: true in the ASan+UBSan build, from its CMakeCache.txt (not from the binaries'
# strings: the runtime links LLVM, whose code names __asan_init in every build)
sanitizer_build() { grep -qx "CCF_SANITIZE:BOOL=ON" "$(dirname "$ccfaas")/../../CMakeCache.txt" 2>/dev/null; }
e2e_cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
check() { # NAME CONDITION-EXIT-STATUS DETAIL
    checks=$((checks + 1))
    if [ "$2" -ne 0 ]; then echo "FAIL: $1${3:+: $3}"; fail=$((fail + 1)); fi
}
same() { checks=$((checks + 1)); [ "$2" == "$3" ] || { echo "FAIL: $1: got '$2', want '$3'${4:+ ($4)}"; fail=$((fail + 1)); }; }

# --- policy: loader writes the program, data owner input-0, reader output -------------
mkpolicy() { # OUT PORT [EXTRA_JQ]
    jq --arg h "$(sha256sum "$wasm" | cut -c1-64)" --arg rt "$(sha256sum "$runtime" | cut -c1-64)" \
       --rawfile ca "$ca" --arg proxy "${proxy#http://}" --arg url "127.0.0.1:$2" \
       --rawfile reader "$certs/result-reader.crt" '
      .programs[0].pi_hash = $h | .runtime_manager_hash_linux = $rt | .runtime_manager_hash_nitro = ""
      | .proxy_service_cert = $ca | .proxy_attestation_server_url = $proxy | .veracruz_server_url = $url
      | .enclave_cert_expiry = {"year": 2099, "month": 1, "day": 1, "hour": 0, "minute": 0}
      | .identities[1].file_rights = [{"file_name": "input-0", "rights": 533572}]
      | .identities += [{"certificate": $reader, "file_rights": [{"file_name": "output", "rights": 8198}], "id": 2}]
      | '"${3:-.}" "$repo/tests/data/policies/spec-full.json" >"$1"
}
# start_runtime POLICY [ARGS...]: starts it, sets $port (from the ready line) and $rpid.
start_runtime() {
    local policy=$1
    shift
    rm -f "$tmp/ready"
    "$runtime" --policy "$policy" --platform-key-fd 3 --ready-fd 4 "$@" \
        3<"$tmp/px/platform-key.pem" 4>"$tmp/ready" 2>>"$tmp/runtime.err" &
    rpid=$!
    pids+=($rpid)
    for _ in $(seq 100); do [ -s "$tmp/ready" ] && break; kill -0 $rpid 2>/dev/null || break; sleep 0.05; done
    port=$(sed -n 's/^ready .*:\([0-9]*\)$/\1/p' "$tmp/ready")
}
# Listening ports are drawn below the kernel's ephemeral range: an outgoing connection (or
# its TIME_WAIT) never holds one there, which made a bind fail now and then.
# free_port [N]: a random port p with p..p+N-1 (default N=1) all below that range.
ephemeral_low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
free_port() {
    local span=$((ephemeral_low - 10000 - ${1:-1}))
    [ "$span" -gt 1000 ] || span=1000
    echo $((10000 + RANDOM % span))
}

as() { # IDENTITY CURL-ARGS...: curl as an identity, prints the body, then the status
    local who=$1
    shift
    curl -sS --cacert "$ca" --cert "$certs/$who.crt" --key "$certs/$who.key" -o "$tmp/body" \
        -w '%{http_code}' "$@"
}
U() { echo "https://127.0.0.1:$port$1"; }

# start_on_free_port POLICY [EXTRA_JQ] [ARGS...]: makes POLICY for a free port and starts
# a runtime with it (a few attempts); sets $port and $rpid.
start_on_free_port() {
    local policy=$1 extra=${2:-.}
    shift 2 2>/dev/null || shift
    port=
    for _ in 1 2 3 4 5; do
        local p
        p=$(free_port)
        mkpolicy "$policy" "$p" "$extra"
        start_runtime "$policy" --listen "127.0.0.1:$p" "$@"
        [ -n "$port" ] && return 0
    done
    echo "FAIL: runtime did not become ready"; cat "$tmp/runtime.err"; exit 1
}
summary() { echo "$checks checks, $fail failures"; [ "$fail" -eq 0 ]; }
