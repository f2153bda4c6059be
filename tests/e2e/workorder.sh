# Shared by the work-order tests (sourced after lib.sh's e2e_setup): wo_setup starts
# `ccfaas serve workorder` ($WO) and an attested ccfaas-runtime worker instance whose policy
# ($tmp/worker.json) lets the listener's identity run the three Avalon workloads, uploads
# them as the loader, and defines rpc, $worker_id (scone-worker-1) and $register.
wo_setup() { # LINREG_WASM
    avalon=$(dirname "$1")/../avalon # beside the example wasm e2e tests get
    stash=$(dirname "$1")/../../tests/workorder/workorder-stash.wasm # tries to keep data between work orders
    for w in "$avalon/avalon-hello.wasm" "$avalon/avalon-fib.wasm" "$avalon/avalon-secure-transaction.wasm" "$stash"; do
        [ -f "$w" ] || { echo "SKIP: $w not built"; exit 77; }
    done
    /usr/bin/python3 -c 'import Cryptodome, ecdsa' 2>/dev/null ||
        { echo "SKIP: python3-pycryptodome and python3-ecdsa needed (scripts/install-deps)"; exit 77; }
    oracle=$repo/tests/workorder/wo_oracle.py

    # --- the listener ------------------------------------------------------------------------
    mkdir -p "$tmp/wo" && auth_dir "$tmp/wo"
    "$ccfaas" serve workorder --listen 127.0.0.1:0 --data-dir "$tmp/wo" --quiet \
        >"$tmp/wo.out" 2>"$tmp/wo.err" &
    wo_pid=$!
    pids+=($wo_pid)
    for _ in $(seq 100); do grep -qs listening "$tmp/wo.out" && break; sleep 0.1; done
    WO=$(grep -o 'http://[0-9.:]*' "$tmp/wo.out" | head -1)
    [ -n "$WO" ] || { echo "FAIL: the listener did not start"; cat "$tmp/wo.err"; exit 1; }

    # --- the worker: an instance whose policy lets the listener run the three workloads -----------
    rights=533574 # the programs read workorder/in-N and write workorder/out (8198 | 533572)
    exe=$((1 << 29))
    worker_policy() { # OUT PORT
        jq --arg rt "$(sha256sum "$runtime" | cut -c1-64)" --rawfile ca "$ca" --arg proxy "${proxy#http://}" \
           --arg url "127.0.0.1:$2" --rawfile loader "$certs/loader.crt" --rawfile wo "$tmp/wo/workorder.crt" \
           --arg h1 "$(sha256sum "$avalon/avalon-hello.wasm" | cut -c1-64)" \
           --arg h2 "$(sha256sum "$avalon/avalon-fib.wasm" | cut -c1-64)" \
           --arg h3 "$(sha256sum "$avalon/avalon-secure-transaction.wasm" | cut -c1-64)" \
           --arg h4 "$(sha256sum "$stash" | cut -c1-64)" \
           --argjson r "$rights" --argjson x "$exe" '
          def prog($i; $n; $h): {id: $i, program_file_name: $n, pi_hash: $h,
                                 file_rights: [{file_name: "workorder/", rights: $r}]};
          .runtime_manager_hash_linux = $rt | .runtime_manager_hash_nitro = ""
          | .proxy_service_cert = $ca | .proxy_attestation_server_url = $proxy | .veracruz_server_url = $url
          | .enclave_cert_expiry = {"year": 2099, "month": 1, "day": 1, "hour": 0, "minute": 0}
          | .programs = [prog(0; "python-hello.wasm"; $h1), prog(1; "python-fib.wasm"; $h2),
                         prog(2; "secure-transaction.wasm"; $h3), prog(3; "stash.wasm"; $h4)]
      | .programs[3].file_rights[0].rights += 512 # stash.wasm may also make directories there
          | .identities = [
              {id: 0, certificate: $loader, file_rights: ([.programs[] | {file_name: .program_file_name, rights: 533572}]
                                                       + [{file_name: "workorder-workloads.json", rights: 533572}])},
              {id: 1, certificate: $wo, file_rights: [.programs[] | {file_name: .program_file_name, rights: $x}]}]
          ' "$repo/tests/data/policies/spec-full.json" >"$1"
    }
    port=
    for _ in 1 2 3 4 5; do
        p=$(free_port)
        worker_policy "$tmp/worker.json" "$p"
        start_runtime "$tmp/worker.json" --listen "127.0.0.1:$p"
        [ -n "$port" ] && break
    done
    [ -n "$port" ] || { echo "FAIL: runtime did not become ready"; cat "$tmp/runtime.err"; exit 1; }
    for w in "$avalon/avalon-hello.wasm:python-hello" "$avalon/avalon-fib.wasm:python-fib" \
             "$avalon/avalon-secure-transaction.wasm:secure-transaction" "$stash:stash"; do
        code=$(as loader -X PUT --data-binary "@${w%%:*}" "$(U "/files/${w#*:}.wasm")")
        same "the loader uploads ${w#*:}.wasm" "$code" 200 "$(cat "$tmp/body")"
    done

    # rpc JSON [CURL-ARGS...]: posts a JSON-RPC request to the listener (no token unless
    # given) and prints the answer. Every answer is validated against
    # docs/api/workorder.schema.json (tests/api/validate-jsonrpc; issue 24); as rpc runs in
    # command substitutions, problems go to $tmp/rpc.problems, checked by rpc_conforms.
    . "$repo/tests/api/e2e.sh"
    rpc() {
        local body=$1 method n
        shift
        n=$(($(cat "$tmp/rpc.count" 2>/dev/null || echo 0) + 1))
        echo "$n" >"$tmp/rpc.count"
        curl -q -sS -H 'Content-Type: application/json' --data-binary "$body" "$@" "$WO/" >"$tmp/rpc.$n"
        method=$(jq -r 'if (.method | type) == "string" then .method else "-" end' <<<"$body" 2>/dev/null || echo -)
        local proof=
        jq -e '.params.proofDataType == "ccfaas-attested-instance"' <<<"$body" >/dev/null 2>&1 && proof=--proof
        /usr/bin/python3 "$repo/tests/api/validate-jsonrpc" $proof "${method:--}" "$tmp/rpc.$n" >>"$tmp/rpc.problems" 2>&1
        cat "$tmp/rpc.$n"
    }
    rpc_conforms() { conforms rpc docs/api/workorder.schema.json; } # tests/api/e2e.sh
    worker_id=$(printf %s scone-worker-1 | sha256sum | cut -c1-64)
    register=$(jq -nc --arg id "$worker_id" --rawfile p "$tmp/worker.json" \
        '{jsonrpc: "2.0", method: "WorkerRegister", id: 7, params: {workerId: $id, organizationId: "org", applicationTypeId: "app", ccfaasPolicy: $p}}')
}
