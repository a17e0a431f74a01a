# vault-keeper as a separate process over JSON-RPC: a vault-node with the
# local deployment (scripts/networks/local.toml); the keeper's start-up
# checks (each failure names its configuration field); then the keeper
# running while the trader (dev account 2) pushes the public pool off peg
# and blocks are mined: it must poke, trade (a Stabilized event) within a
# few blocks, bring getMidPrice back toward 1e18 and never past it, serve
# its metrics, and exit 0 on SIGTERM. First on a node that mines one block
# per transaction (the test mines more), with gas estimates; then on the
# same chain reloaded by a node sealing a block every second, without
# estimates (vault-node's estimate of the trade takes about a second).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# The built keeper (scripts/e2e builds it; VAULT_KEEPER overrides).
VAULT_KEEPER="${VAULT_KEEPER:-$ROOT/target/debug/vault-keeper}"

# The chain is saved on the node's exit, for the second part's node.
record="$E2E_TMP/local.json"
deployed_node RPC "$record"
first_node_pid=${E2E_PIDS[-1]}
chain="$E2E_TMP/RPC.json"

field() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval("r"+sys.argv[2]))' "$record" "$1"; }
STAB=$(field "['contracts']['Stabilizer']['address']")
FC=$(field "['contracts']['FlashContainment']['address']")
POOL=$(field "['fixtures']['PublicPool']['address']")
CUSDT=$(field "['fixtures']['Cusdt']['address']")
TRADER=${DEV_ADDRESSES[2]}
CHAIN_ID=$(cast chain-id --rpc-url "$RPC")
call() { cast call --rpc-url "$RPC" "$@"; }
mid() { call "$POOL" "getMidPrice()(uint256)" "$@" | awk '{print $1}'; }

# write_config FILE KEYFILE [key = value ...]: a keeper configuration for
# this node; later lines override earlier ones.
write_config() {
  local file="$1" key="$2"
  shift 2
  {
    echo "rpc_url = \"$RPC\""
    echo "chain_id = $CHAIN_ID"
    echo "private_key_path = \"$key\""
    echo "stabilizers = [\"$STAB\"]"
    echo "flash_containment = \"$FC\""
    echo "poll_interval_ms = 100"
    for line in "$@"; do echo "$line"; done
  } | python3 -c 'import sys
seen = {}
for line in sys.stdin.read().splitlines():
    seen[line.split("=")[0].strip()] = line
print("\n".join(seen.values()))' >"$file"
}

echo "-- start-up checks"
keeper_key="$ROOT/crates/keeper/examples/keeper.key"
printf '%s\n' "${DEV_KEYS[3]}" >"$E2E_TMP/guardian.key"
# expect_refusal WHAT FIELD [config lines...]: the keeper exits non-zero at
# start, naming FIELD.
expect_refusal() {
  local what="$1" expected="$2" key="$keeper_key" log status
  shift 2
  if [[ "${1:-}" == key=* ]]; then key="${1#key=}"; shift; fi
  write_config "$E2E_TMP/bad.toml" "$key" "$@"
  log="$E2E_TMP/bad.log"
  status=0
  timeout 30 "$VAULT_KEEPER" run --config "$E2E_TMP/bad.toml" >"$log" 2>&1 || status=$?
  if [[ $status -eq 0 ]] || ! grep -q "$expected" "$log"; then
    cat "$log" >&2
    echo "FAIL: $what: exit $status, expected a failure naming '$expected'" >&2
    exit 1
  fi
  echo "ok: $what: refused ($(grep -o "$expected.*" "$log" | head -1 | cut -c1-110))"
}
expect_refusal "missing key file" "private_key_path: " key="$E2E_TMP/no-such.key"
expect_refusal "unreachable RPC" "rpc_url: " "rpc_url = \"http://127.0.0.1:$(free_port)\""
expect_refusal "wrong chain id" "chain_id: " "chain_id = $((CHAIN_ID + 1))"
expect_refusal "a Stabilizer without code" "stabilizers\[0\]: " "stabilizers = [\"$TRADER\"]"
expect_refusal "a FlashContainment that is not the Stabilizer's" "flash_containment: " "flash_containment = \"$POOL\""
expect_refusal "a keeper account without KEEPER_ROLE" "lacks KEEPER_ROLE" key="$E2E_TMP/guardian.key"

send_as() { local key="$1"; shift; cast send --rpc-url "$RPC" --private-key "$key" --json "$@"; }
status() { python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'; }
stabilized_topic=$(cast keccak "Stabilized(address,address,address,uint256,uint256,uint256,int256,uint256,uint256,uint256,uint64)")
stabilized_logs() {
  cast rpc --rpc-url "$RPC" eth_getLogs \
    "{\"address\":\"$STAB\",\"fromBlock\":\"$(printf '0x%x' "$push_block")\",\"toBlock\":\"latest\",\"topics\":[\"$stabilized_topic\"]}"
}

# start_keeper CONFIG: starts the keeper, waits for its start-up checks.
start_keeper() {
  keeper_log="$E2E_TMP/keeper-$(basename "$1" .toml).log"
  "$VAULT_KEEPER" run --config "$1" >"$keeper_log" 2>&1 &
  keeper_pid=$!
  E2E_PIDS+=("$keeper_pid")
  for _ in $(seq 1 100); do
    grep -q "keeper started" "$keeper_log" && break
    kill -0 "$keeper_pid" 2>/dev/null || { cat "$keeper_log" >&2; echo "FAIL: the keeper exited at start" >&2; exit 1; }
    sleep 0.1
  done
  grep -q "keeper started" "$keeper_log" || { cat "$keeper_log" >&2; echo "FAIL: the keeper did not start" >&2; exit 1; }
  echo "ok: the keeper started"
}

# next_blocks MINE: lets about three blocks pass (mining them when MINE is 1).
next_blocks() {
  if [[ "$1" == 1 ]]; then
    for _ in 1 2 3; do cast rpc --rpc-url "$RPC" evm_mine >/dev/null; sleep 0.3; done
  else
    sleep 3
  fi
}

# push_and_check MINE: the trader pushes the pool; the keeper must correct
# it within a few blocks, toward the peg and never past it.
push_and_check() {
  local mine="$1" mid_peg sell mid_pushed found mid_after
  # At peg the keeper only reads: no transaction of its own in a few blocks.
  next_blocks "$mine"
  expect_eq "transactions sent at peg" "$(grep -c "transaction mined" "$keeper_log" || true)" 0
  mid_peg=$(mid)
  # The trader sells 20,000 cUSDT (base) into the pool, DODO style.
  expect_eq "trader's transfer" "$(send_as "${DEV_KEYS[2]}" "$CUSDT" "transfer(address,uint256)" "$POOL" 20000000000 | status)" 0x1
  sell=$(send_as "${DEV_KEYS[2]}" "$POOL" "sellBase(address)" "$TRADER")
  expect_eq "trader's sellBase" "$(status <<<"$sell")" 0x1
  push_block=$(python3 -c 'import json,sys; print(int(json.load(sys.stdin)["blockNumber"], 16))' <<<"$sell")
  # The keeper may have corrected it already: read the push's own block.
  mid_pushed=$(mid --block "$push_block")
  echo "mid price: $mid_peg at peg, $mid_pushed after the push (block $push_block)"
  found=0
  for _ in $(seq 1 60); do
    if [[ "$(stabilized_logs | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" -gt 0 ]]; then
      found=1
      break
    fi
    [[ "$mine" == 1 ]] && cast rpc --rpc-url "$RPC" evm_mine >/dev/null
    sleep 0.25
  done
  [[ $found -eq 1 ]] || { cat "$keeper_log" >&2; echo "FAIL: no Stabilized event" >&2; exit 1; }
  # Let the keeper finish what it started, then read the record.
  next_blocks "$mine"
  mid_after=$(mid)
  stabilized_logs >"$E2E_TMP/stabilized.json"
  grep -E "poked|planned|stabilized|refuses|reverted|transaction mined" "$keeper_log" | sed -E 's/\x1b\[[0-9;]*m//g' | cut -c 29-
  python3 - "$E2E_TMP/stabilized.json" "$push_block" "$mid_pushed" "$mid_after" <<'PY'
import json, sys
logs = json.load(open(sys.argv[1]))
push_block, pushed, after = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
peg = 10**18
assert logs, "no Stabilized event"
for log in logs:
    words = [int(log["data"][2 + 64 * i: 2 + 64 * (i + 1)], 16) for i in range(8)]
    amount_in, amount_out, mid_before, mid_after = words[0], words[1], words[5], words[6]
    block = int(log["blockNumber"], 16)
    assert mid_before < mid_after <= peg, f"trade in block {block}: {mid_before} -> {mid_after}, peg {peg}"
    print(f"ok: Stabilized in block {block} ({block - push_block} blocks after the push): "
          f"{amount_in} cUSDC in, {amount_out} cUSDT out, mid {mid_before} -> {mid_after} (not past the peg)")
first = int(logs[0]["blockNumber"], 16)
assert first - push_block <= 8, f"first correction {first - push_block} blocks after the push"
assert abs(after - peg) < abs(pushed - peg), f"not closer to the peg: {pushed} -> {after}"
assert after <= peg, f"past the peg: {after}"
print(f"ok: deviation {(pushed - peg) / peg * 1e4:.2f} bps -> {(after - peg) / peg * 1e4:.2f} bps, never past the peg")
PY
  if grep -q "reverted" "$keeper_log"; then
    grep "reverted" "$keeper_log" >&2
    echo "FAIL: a keeper transaction reverted" >&2
    exit 1
  fi
}

# stop_keeper: SIGTERM; the keeper must stop cleanly with status 0.
stop_keeper() {
  local keeper_status=0
  kill -TERM "$keeper_pid"
  wait "$keeper_pid" || keeper_status=$?
  expect_eq "the keeper's exit status after SIGTERM" "$keeper_status" 0
  grep -q "keeper stopped" "$keeper_log" || { cat "$keeper_log" >&2; echo "FAIL: no clean stop" >&2; exit 1; }
  echo "ok: the keeper stopped cleanly"
}

echo "-- one block per transaction, with gas estimates"
metrics_port=$(free_port)
# The trade waits for the node's estimate here: the estimate-plus-margin
# path is the one tested.
write_config "$E2E_TMP/automine.toml" "$keeper_key" "metrics_listen = \"127.0.0.1:$metrics_port\"" "estimate_timeout_ms = 10000"
start_keeper "$E2E_TMP/automine.toml"
push_and_check 1
metrics=$(python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "http://127.0.0.1:$metrics_port/metrics")
grep -q "^keeper_trades_total{stabilizer=\"$(cast to-check-sum-address "$STAB")\"} [1-9]" <<<"$metrics" \
  || { echo "$metrics" >&2; echo "FAIL: metrics lack the trade" >&2; exit 1; }
echo "ok: /metrics counts the trade"
grep -E "^keeper_(gas_used_total|transactions_total|last_block)" <<<"$metrics"
stop_keeper

echo "-- a block every second, without estimates"
kill -TERM "$first_node_pid"
wait "$first_node_pid" || true
start_node RPC --block-time 1 --state "$chain"
write_config "$E2E_TMP/interval.toml" "$keeper_key" "estimate_timeout_ms = 0"
start_keeper "$E2E_TMP/interval.toml"
push_and_check 0
stop_keeper
