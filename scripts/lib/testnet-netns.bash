# Sourced by scripts/testnet: the network of `scripts/testnet up --netns` (docs/network.md, "Several hosts on one
# machine"; decision 0036). Each node runs in its own network namespace ${PREFIX}nI with address SUBNET.(10+I) on a
# veth pair (${PREFIX}vI in the root namespace, ${PREFIX}pI inside) enslaved to the bridge ${PREFIX}br (SUBNET.1/24).
# Every P2P connection goes through one `ledger-adversarial link-proxy` in the root namespace: node I dials
# SUBNET.1:proxy_port(I,J), the proxy forwards to SUBNET.(10+J) from the source address SUBNET.(100+I) (so J sees one
# address per peer), delaying both directions by the one-way delay (+ jitter). A bandwidth cap is tbf on both ends
# of each veth (each host's link, each way). Nothing here is routed beyond SUBNET.0/24: namespaces get no default
# route. Everything created carries the prefix, so `down` finds and removes leftovers even after a crash.
# Needs: BIN, WALLET, PROXY_BIN, DIR, BASE_PORT, N (validators), FULL (0/1), DELAY, JITTER, RATE, die(), import_faucet().

NS_PREFIX="${TESTNET_NETNS_PREFIX:-ledger-}"
NS_SUBNET="${TESTNET_NETNS_SUBNET:-198.18.0}"
[[ "$NS_PREFIX" =~ ^[a-z][a-z0-9-]{0,7}$ ]] || die "TESTNET_NETNS_PREFIX '$NS_PREFIX' must be 1-8 of [a-z0-9-] starting with a letter"
[[ "$NS_SUBNET" =~ ^198\.1[89]\.([0-9]{1,3})$ ]] && [ "${BASH_REMATCH[1]}" -le 255 ] \
    || die "TESTNET_NETNS_SUBNET '$NS_SUBNET' must be the first three octets of a /24 in 198.18.0.0/15 (e.g. 198.18.0)"
NS_BRIDGE="${NS_PREFIX}br"
NS_GATEWAY="$NS_SUBNET.1"
NS_MAX_NODES=64

ns_name() { echo "${NS_PREFIX}n$1"; }
ns_addr() { echo "$NS_SUBNET.$((10 + $1))"; }
ns_source_addr() { echo "$NS_SUBNET.$((100 + $1))"; }
ns_veth() { echo "${NS_PREFIX}v$1"; }
ns_peer() { echo "${NS_PREFIX}p$1"; }
ns_node_count() { echo $((N + FULL)); }
# Where node $1's connections to validator $2 enter the proxy.
ns_proxy_port() { echo $((BASE_PORT + 200 + $1 * NS_MAX_NODES + $2)); }

ns_require() {
    [ "$(id -u)" -eq 0 ] || die "--netns needs root (network namespaces, veth, bridge)"
    command -v ip >/dev/null 2>&1 && ip netns list >/dev/null 2>&1 || die "--netns needs a working 'ip netns' (iproute2)"
    [ "$(ns_node_count)" -le "$NS_MAX_NODES" ] || die "--netns supports at most $NS_MAX_NODES nodes"
}

ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$1"; }

# Our namespaces and links, found by prefix (what `down` removes).
ns_leftover_namespaces() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${NS_PREFIX}n[0-9]+$" || true; }
ns_leftover_links() { ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E "^${NS_PREFIX}(br|v[0-9]+)$" || true; }

# tbf on device $2 (namespace $1, or "" for the root namespace): $RATE kbit/s, a burst of 10 ms of it (at least
# 16 KiB), at most 200 ms of queue (past that the kernel drops and TCP backs off, as on a real link).
ns_shape() {
    local ns="$1" dev="$2" burst
    burst=$((RATE * 1000 / 8 / 100)); [ "$burst" -lt 16384 ] && burst=16384
    if [ -n "$ns" ]; then
        tc -n "$ns" qdisc replace dev "$dev" root tbf rate "${RATE}kbit" burst "$burst" latency 200ms
    else
        tc qdisc replace dev "$dev" root tbf rate "${RATE}kbit" burst "$burst" latency 200ms
    fi
}

# Runs a command that sets up the network; on failure says which one and stops.
ns_run() { "$@" || die "network setup failed: $*"; }

# Creates (or completes) the bridge, namespaces, veths, addresses and shaping; idempotent.
ns_create() {
    local i ns veth peer count
    count="$(ns_node_count)"
    if ip -o addr show 2>/dev/null | grep -v " $NS_BRIDGE " | grep -q " inet $NS_SUBNET\."; then
        die "another interface already has an address in $NS_SUBNET.0/24; pick TESTNET_NETNS_SUBNET"
    fi
    ip link show "$NS_BRIDGE" >/dev/null 2>&1 || ns_run ip link add "$NS_BRIDGE" type bridge
    ns_run ip addr replace "$NS_GATEWAY/24" dev "$NS_BRIDGE"
    ns_run ip link set "$NS_BRIDGE" up
    for ((i = 0; i < count; i++)); do
        ns="$(ns_name $i)"; veth="$(ns_veth $i)"; peer="$(ns_peer $i)"
        ns_exists "$ns" || ns_run ip netns add "$ns"
        ns_run ip -n "$ns" link set lo up
        # A veth pair is whole or made anew (a half left by a crash, or by a namespace still being torn down, goes).
        if ! ip link show "$veth" >/dev/null 2>&1 || ! ip -n "$ns" link show "$peer" >/dev/null 2>&1; then
            ip link del "$veth" 2>/dev/null || true
            ip -n "$ns" link del "$peer" 2>/dev/null || true
            ns_run ip link add "$veth" type veth peer name "$peer" netns "$ns"
        fi
        ns_run ip link set "$veth" master "$NS_BRIDGE" up
        ns_run ip -n "$ns" addr replace "$(ns_addr $i)/24" dev "$peer"
        ns_run ip -n "$ns" link set "$peer" up
        ns_run ip addr replace "$(ns_source_addr $i)/32" dev "$NS_BRIDGE"
        if [ "${RATE:-0}" -gt 0 ]; then
            ns_run ns_shape "$ns" "$peer"; ns_run ns_shape "" "$veth"
        else
            tc -n "$ns" qdisc del dev "$peer" root 2>/dev/null || true
            tc qdisc del dev "$veth" root 2>/dev/null || true
        fi
    done
}

# Stops every process still inside our namespaces (by pid: `ip netns pids`), then removes the veths, namespaces and
# bridge with our prefix, and waits (10 s at most) until the kernel has let them go, so an `up` right after finds
# nothing half-removed. Idempotent; works from nothing but the prefix.
ns_teardown() {
    local ns pid link deadline pids
    for ns in $(ns_leftover_namespaces); do
        pids="$(ip netns pids "$ns" 2>/dev/null || true)"
        for pid in $pids; do kill -CONT "$pid" 2>/dev/null || true; kill -TERM "$pid" 2>/dev/null || true; done
        deadline=$((SECONDS + 10))
        while [ -n "$(ip netns pids "$ns" 2>/dev/null || true)" ] && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
        for pid in $(ip netns pids "$ns" 2>/dev/null || true); do
            echo "testnet: pid $pid in $ns did not stop within 10 s of SIGTERM; SIGKILL" >&2
            kill -9 "$pid" 2>/dev/null || true
        done
    done
    # Root ends first: deleting one end of a veth deletes the other at once, not when the namespace is reaped.
    for link in $(ns_leftover_links); do ip link del "$link" 2>/dev/null || true; done
    for ns in $(ns_leftover_namespaces); do ip netns del "$ns" 2>/dev/null || echo "testnet: could not delete namespace $ns" >&2; done
    deadline=$((SECONDS + 10))
    while [ -n "$(ns_leftover_namespaces; ns_leftover_links)" ] && [ $SECONDS -lt $deadline ]; do
        for link in $(ns_leftover_links); do ip link del "$link" 2>/dev/null || true; done
        sleep 0.1
    done
}

# The proxy's routes: every node (validators and the full node) to every other validator.
ns_write_routes() {
    local i j count out="$DIR/routes.txt"
    count="$(ns_node_count)"
    echo "# LISTEN -> TARGET name=FROM->TO source=ADDRESS (written by scripts/testnet up --netns)" >"$out"
    for ((i = 0; i < count; i++)); do
        for ((j = 0; j < N; j++)); do
            [ $i -eq $j ] && continue
            echo "$NS_GATEWAY:$(ns_proxy_port $i $j) -> $(ns_addr $j):$BASE_PORT name=$i->$j source=$(ns_source_addr $i)" >>"$out"
        done
    done
}

# config.json of node $1: listen on its own address, reach every validator through the proxy.
ns_configure_home() {
    local i="$1" j peers="{" cfg="$DIR/node$1/config.json" sep=""
    for ((j = 0; j < N; j++)); do
        [ $i -eq $j ] && continue
        peers+="$sep\"$j\":\"$NS_GATEWAY:$(ns_proxy_port $i $j)\""; sep=","
    done
    peers+="}"
    jq --arg p2p "$(ns_addr $i):$BASE_PORT" --arg rpc "$(ns_addr $i):$((BASE_PORT + 100))" --argjson peers "$peers" \
        '.p2p_listen = $p2p | .rpc_listen = $rpc | .peers = $peers' "$cfg" >"$cfg.tmp" && mv "$cfg.tmp" "$cfg"
}

# The homes as the ceremony makes them (docs/network.md, "Starting a network with several organisations"): every node
# runs `ledger-node init` on its own address, the genesis is assembled from the validators' hand-overs (validator.json)
# with `ledger-node genesis new/add-validator/add-account/finalize` (the faucet, funded, is the one account) and copied
# into every home. The full node: `ledger-node init --full-node`.
ns_generate_homes_ceremony() {
    local i draft="$DIR/genesis.json" faucet
    for ((i = 0; i < N; i++)); do
        "$BIN" init --home "$DIR/node$i" --p2p-listen "$(ns_addr $i):$BASE_PORT" \
            --rpc-listen "$(ns_addr $i):$((BASE_PORT + 100))" --rpc-address "$(ns_addr $i):$((BASE_PORT + 100))" >/dev/null \
            || die "ledger-node init of node$i failed"
    done
    "$BIN" genesis new --out "$draft" --chain-id ledger-testnet --test-network >/dev/null || die "ledger-node genesis new failed"
    for ((i = 0; i < N; i++)); do
        "$BIN" genesis add-validator "$draft" --from "$DIR/node$i/validator.json" >/dev/null \
            || die "ledger-node genesis add-validator (node$i) failed"
    done
    (umask 077 && printf '%s\n' "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >"$DIR/faucet.key")
    import_faucet
    faucet="$(LEDGER_KEYSTORE="$DIR/keys" "$WALLET" address faucet)" || die "wallet address faucet failed"
    "$BIN" genesis add-account "$draft" --address "$faucet" --balance 1000000000000000 >/dev/null \
        || die "ledger-node genesis add-account (faucet) failed"
    "$BIN" genesis finalize "$draft" >/dev/null || die "ledger-node genesis finalize failed"
    for ((i = 0; i < N; i++)); do cp "$draft" "$DIR/node$i/genesis.json"; ns_configure_home $i; done
    if [ "$FULL" -eq 1 ]; then
        i="$N"
        "$BIN" init --home "$DIR/node$i" --full-node --p2p-listen "$(ns_addr $i):$BASE_PORT" \
            --rpc-listen "$(ns_addr $i):$((BASE_PORT + 100))" >/dev/null || die "ledger-node init --full-node failed"
        cp "$draft" "$DIR/node$i/genesis.json"
        ns_configure_home $i
    fi
}

# The homes from `ledger-node testnet --hosts` (binaries without the ceremony commands, or TESTNET_ARGS such as
# --bench-accounts that only `testnet` takes), listen addresses and peers rewritten.
ns_generate_homes_testnet() {
    local hosts="" i
    for ((i = 0; i < N; i++)); do hosts+="${hosts:+,}$(ns_addr $i)"; done
    "$BIN" testnet --validators "$N" --out "$DIR" --base-port "$BASE_PORT" --hosts "$hosts" ${TESTNET_ARGS:-} >/dev/null \
        || die "ledger-node testnet failed"
    for ((i = 0; i < N; i++)); do ns_configure_home $i; done
    if [ "$FULL" -eq 1 ]; then
        i="$N"
        "$BIN" init --home "$DIR/node$i" --p2p-listen "$(ns_addr $i):$BASE_PORT" \
            --rpc-listen "$(ns_addr $i):$((BASE_PORT + 100))" >/dev/null || die "ledger-node init of the full node failed"
        cp "$DIR/node0/genesis.json" "$DIR/node$i/genesis.json"
        jq '.role = "full"' "$DIR/node$i/config.json" >"$DIR/node$i/config.json.tmp" && mv "$DIR/node$i/config.json.tmp" "$DIR/node$i/config.json"
        ns_configure_home $i
    fi
}

# The ceremony when the binary has it (`ledger-node genesis`) and no TESTNET_ARGS ask for `testnet`'s extras.
# TODO(issue 30): drop ns_generate_homes_testnet once bench accounts (`testnet --bench-accounts`, what scripts/bench
# passes in TESTNET_ARGS) have a ceremony equivalent.
ns_generate_homes() {
    mkdir -p "$DIR"
    if [ -z "${TESTNET_ARGS:-}" ] && grep -q "USAGE: ledger-node genesis finalize" <<<"$("$BIN" genesis finalize --help 2>/dev/null)"; then
        ns_generate_homes_ceremony
        echo "testnet: homes made by the ceremony (ledger-node init, genesis new/add-validator/add-account/finalize)"
    else
        ns_generate_homes_testnet
    fi
}

ns_proxy_pid() { cat "$DIR/link-proxy.pid" 2>/dev/null || true; }
# The proxy runs (the pid file's process is a link proxy: a stale pid reused by something else is not).
ns_proxy_alive() {
    local p; p="$(ns_proxy_pid)"
    [ -n "$p" ] && kill -0 "$p" 2>/dev/null && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "link-proxy"
}

# Starts the proxy (unless it runs) and waits, with a deadline, until every listener is bound.
ns_proxy_start() {
    ns_proxy_alive && return 0
    [ -x "$PROXY_BIN" ] || die "no ledger-adversarial binary at $PROXY_BIN (LINK_PROXY_BIN overrides)"
    rm -f "$DIR/link-stats.json"
    nohup "$PROXY_BIN" link-proxy --routes "$DIR/routes.txt" --delay-ms "$DELAY" --jitter-ms "$JITTER" \
        --stats-file "$DIR/link-stats.json" >>"$DIR/link-proxy.log" 2>&1 &
    local pid=$! deadline=$((SECONDS + 15))
    echo "$pid" >"$DIR/link-proxy.pid"
    while [ ! -s "$DIR/link-stats.json" ]; do
        # kill -0, not ns_proxy_alive: until the exec the child's command line is still this script's.
        kill -0 "$pid" 2>/dev/null || { tail -n 5 "$DIR/link-proxy.log" >&2; die "the link proxy exited at start (log: $DIR/link-proxy.log)"; }
        [ $SECONDS -lt $deadline ] || die "the link proxy did not bind its listeners within 15 s (log: $DIR/link-proxy.log)"
        sleep 0.1
    done
}

# Stops the proxy (SIGTERM: it writes its final counters to link-stats.json and its log), SIGKILL after 5 s.
ns_proxy_stop() {
    local p; p="$(ns_proxy_pid)"
    if ns_proxy_alive; then
        kill -TERM "$p"
        local deadline=$((SECONDS + 5))
        while kill -0 "$p" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
        kill -0 "$p" 2>/dev/null && { echo "testnet: the link proxy did not stop within 5 s of SIGTERM; SIGKILL" >&2; kill -9 "$p"; }
    fi
    rm -f "$DIR/link-proxy.pid"
}
