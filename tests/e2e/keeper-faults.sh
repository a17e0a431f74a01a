# vault-keeper's operating behaviour under faults, against real processes:
# a vault-node sealing a block every 0.5 s (--state: the chain is deployed
# once by scripts/deploy and survives node restarts on the same port), and
# vault-keeper as a separate process. The trader (dev account 2) pushes the
# public pool off peg; each fault is checked from receipts, events, the
# keeper's log and its /metrics:
#   0. baseline: the push is corrected (figures: decision latency, gas);
#   1. the node stops and restarts mid-correction: the keeper keeps running,
#      resumes, and makes no duplicate trade;
#   2. another sender uses the keeper's key (its nonce): the keeper resyncs
#      and its next transaction lands;
#   3. the state changes between the keeper's simulation and its mining (the
#      trader moves the pool back in the next block, ahead of the trade): the
#      trade reverts, is logged by error name and never re-sent;
#   4. a direction disabled and the Stabilizer paused by the guardian (dev
#      account 3): nothing is sent until the admin re-enables and unpauses;
#   5. the keeper's balance below min_balance_wei: nothing is sent until it
#      is funded again.
# It prints the figures the keeper README quotes.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

VAULT_KEEPER="${VAULT_KEEPER:-$ROOT/target/debug/vault-keeper}"
BLOCK_TIME=0.5
chain="$E2E_TMP/chain.json"
record="$E2E_TMP/local.json"
run_start=$SECONDS

# The deployed chain (tests/e2e/lib.sh deployed_chain: one real deploy per
# scripts/e2e run).
deployed_chain "$chain" "$record"

# The node under test: always on this port, always this chain file.
PORT=$(free_port)
RPC="http://127.0.0.1:$PORT"
node_log="$E2E_TMP/node.log"
node_up() {
  "$VAULT_NODE" --port "$PORT" --block-time "$BLOCK_TIME" --state "$chain" >>"$node_log" 2>&1 &
  node_pid=$!
  E2E_PIDS+=("$node_pid")
  for _ in $(seq 1 200); do
    cast chain-id --rpc-url "$RPC" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  cat "$node_log" >&2
  echo "FAIL: vault-node did not come up on $RPC" >&2
  exit 1
}
node_down() {
  kill -TERM "$node_pid"
  wait "$node_pid" || true
}
node_up

field() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval("r"+sys.argv[2]))' "$record" "$1"; }
STAB=$(field "['contracts']['Stabilizer']['address']")
FC=$(field "['contracts']['FlashContainment']['address']")
POOL=$(field "['fixtures']['PublicPool']['address']")
CUSDT=$(field "['fixtures']['Cusdt']['address']")
CUSDC=$(field "['fixtures']['Cusdc']['address']")
KEEPER=${DEV_ADDRESSES[1]}
KEEPER_KEY=${DEV_KEYS[1]}
TRADER=${DEV_ADDRESSES[2]}
TRADER_KEY=${DEV_KEYS[2]}
GUARDIAN_KEY=${DEV_KEYS[3]}
ADMIN_KEY=${DEV_KEYS[0]}
CHAIN_ID=$(cast chain-id --rpc-url "$RPC")

block() { cast block-number --rpc-url "$RPC"; }
mid() { cast call --rpc-url "$RPC" "$POOL" "getMidPrice()(uint256)" | awk '{print $1}'; }
nonce_of() { cast nonce --rpc-url "$RPC" "$1"; }
send_as() { local key="$1"; shift; cast send --rpc-url "$RPC" --private-key "$key" --json "$@"; }
status() { python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'; }
mined_block() { python3 -c 'import json,sys; print(int(json.load(sys.stdin)["blockNumber"], 16))'; }
clean() { sed -E 's/\x1b\[[0-9;]*m//g' "$@"; }
# wait_blocks N: lets N blocks be sealed.
wait_blocks() {
  local target=$(($(block) + $1))
  while [[ $(block) -lt $target ]]; do sleep 0.1; done
}

keeper_log="$E2E_TMP/keeper.log"
metrics_port=$(free_port)
cat >"$E2E_TMP/keeper.toml" <<EOF
rpc_url = "$RPC"
chain_id = $CHAIN_ID
private_key_path = "$ROOT/crates/keeper/examples/keeper.key"
stabilizers = ["$STAB"]
flash_containment = "$FC"
poll_interval_ms = 50
estimate_timeout_ms = 0
receipt_timeout_ms = 5000
min_balance_wei = 1000000000000000
metrics_listen = "127.0.0.1:$metrics_port"
EOF
"$VAULT_KEEPER" run --config "$E2E_TMP/keeper.toml" >"$keeper_log" 2>&1 &
keeper_pid=$!
E2E_PIDS+=("$keeper_pid")
for _ in $(seq 1 100); do grep -q "keeper started" "$keeper_log" && break; sleep 0.1; done
grep -q "keeper started" "$keeper_log" || { cat "$keeper_log" >&2; echo "FAIL: the keeper did not start" >&2; exit 1; }
keeper_start=$SECONDS
echo "ok: the keeper started"
keeper_alive() { kill -0 "$keeper_pid" 2>/dev/null || { cat "$keeper_log" >&2; echo "FAIL: the keeper exited" >&2; exit 1; }; }
metrics() { python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "http://127.0.0.1:$metrics_port/metrics"; }
metric() { metrics | awk -v name="$1" '$1 == name {print $2}'; }
trades_metric() { metrics | awk '/^keeper_trades_total\{/ {print $2}' | head -1; }

stabilized_topic=$(cast keccak "Stabilized(address,address,address,uint256,uint256,uint256,int256,uint256,uint256,uint256,uint64)")
observed_topic=$(cast keccak "Observed(address,uint64,int32,int8,uint64,uint256,uint256)")
# stabilized FROM: the Stabilized events since block FROM (JSON).
stabilized() {
  cast rpc --rpc-url "$RPC" eth_getLogs \
    "{\"address\":\"$STAB\",\"fromBlock\":\"$(printf '0x%x' "$1")\",\"toBlock\":\"latest\",\"topics\":[\"$stabilized_topic\"]}"
}
count() { python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

# push AMOUNT: the trader sells AMOUNT cUSDT (6 decimals) into the pool;
# sets push_block.
push() {
  expect_eq "trader's transfer" "$(send_as "$TRADER_KEY" "$CUSDT" "transfer(address,uint256)" "$POOL" "$1" | status)" 0x1
  local sell
  sell=$(send_as "$TRADER_KEY" "$POOL" "sellBase(address)" "$TRADER")
  expect_eq "trader's sellBase" "$(status <<<"$sell")" 0x1
  push_block=$(mined_block <<<"$sell")
}

# corrected WHAT: waits (30 s at most) for a Stabilized event since
# push_block; checks every one moved the mid toward and never past the peg,
# one per block at most.
corrected() {
  local found=0
  for _ in $(seq 1 300); do
    if [[ $(stabilized "$push_block" | count) -gt 0 ]]; then found=1; break; fi
    keeper_alive
    sleep 0.1
  done
  [[ $found -eq 1 ]] || { clean "$keeper_log" | tail -40 >&2; echo "FAIL: $1: no Stabilized event" >&2; exit 1; }
  wait_blocks 3
  stabilized "$push_block" >"$E2E_TMP/stabilized.json"
  python3 - "$E2E_TMP/stabilized.json" "$push_block" "$1" <<'PY'
import json, sys
logs, push, what = json.load(open(sys.argv[1])), int(sys.argv[2]), sys.argv[3]
blocks = [int(l["blockNumber"], 16) for l in logs]
assert len(set(blocks)) == len(blocks), f"{what}: two trades in one block: {blocks}"
for log in logs:
    w = [int(log["data"][2 + 64 * i: 2 + 64 * (i + 1)], 16) for i in range(8)]
    assert w[5] < w[6] <= 10**18, f"{what}: mid {w[5]} -> {w[6]}"
print(f"ok: {what}: corrected by {len(logs)} trade(s) in blocks {blocks} "
      f"({blocks[0] - push} blocks after the push), toward and never past the peg")
PY
}

# keeper_txs FROM: the keeper's transactions mined since block FROM, as
# "block selector status" lines.
keeper_txs() {
  python3 - "$RPC" "$KEEPER" "$1" <<'PY'
import json, sys, urllib.request
url, keeper, start = sys.argv[1], sys.argv[2].lower(), int(sys.argv[3])
def rpc(method, *params):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req, timeout=10))["result"]
head = int(rpc("eth_blockNumber"), 16)
for n in range(start, head + 1):
    for tx in rpc("eth_getBlockByNumber", hex(n), True)["transactions"]:
        if tx["from"].lower() == keeper:
            receipt = rpc("eth_getTransactionReceipt", tx["hash"])
            print(n, tx["input"][:10], receipt["status"], tx["input"])
PY
}

echo "-- 0. baseline: a push is corrected"
wait_blocks 4
expect_eq "keeper transactions at peg" "$(keeper_txs "$(($(block) - 4))" | wc -l)" 0
push 20000000000
corrected "baseline"
keeper_alive

echo "-- 1. the node stops and restarts mid-correction"
trades_before=$(trades_metric)
push 20000000000
# Stop the node as the keeper acts on the push (its poke is in the pending
# block, which the node does not save).
for _ in $(seq 1 100); do
  [[ $(cast nonce --block pending --rpc-url "$RPC" "$KEEPER") -gt $(nonce_of "$KEEPER") ]] && break
  sleep 0.01
done
node_down
down_at=$(date +%s.%N)
echo "node stopped (the chain saved to its --state file)"
sleep 2
keeper_alive
node_up
up_at=$(date +%s.%N)
# Read before the node seals its first block (0.5 s after its start).
nonce_before=$(nonce_of "$KEEPER")
echo "node restarted on the same port after $(python3 -c "print(f'{$up_at - $down_at:.1f}')") s"
for _ in $(seq 1 200); do
  [[ $(nonce_of "$KEEPER") -gt $nonce_before ]] && break
  sleep 0.05
done
resumed_at=$(date +%s.%N)
[[ $(nonce_of "$KEEPER") -gt $nonce_before ]] || { clean "$keeper_log" | tail -40 >&2; echo "FAIL: no keeper transaction after the restart" >&2; exit 1; }
recover_s=$(python3 -c "print(f'{$resumed_at - $up_at:.2f}')")
echo "ok: the keeper's first transaction after the restart was mined $recover_s s after the node answered again"
corrected "after the node restart"
trades_after=$(trades_metric)
on_chain=$(stabilized "$push_block" | count)
expect_eq "keeper_trades_total grew by the Stabilized events on chain (no duplicate)" "$((trades_after - trades_before))" "$on_chain"
keeper_txs "$push_block" >"$E2E_TMP/restart-txs.txt"
python3 - "$E2E_TMP/restart-txs.txt" <<'PY'
import sys, collections
lines = [l.split() for l in open(sys.argv[1]) if l.strip()]
per_block = collections.Counter((b, sel) for b, sel, _, _ in lines)
dupes = [k for k, v in per_block.items() if v > 1]
assert not dupes, f"the same call twice in one block: {dupes}"
print(f"ok: no call sent twice in one block across the restart ({len(lines)} keeper transactions since the push)")
PY
grep -q "lost: the node no longer knows it\|node unreachable\|eth_blockNumber failed" <(clean "$keeper_log") \
  && echo "ok: the keeper logged the outage: $(clean "$keeper_log" | grep -o 'lost: the node no longer knows it\|node unreachable\|eth_blockNumber failed' | sort | uniq -c | tr '\n' ';')"

echo "-- 2. a nonce taken by another sender"
wait_blocks 2
resyncs_before=$(metric keeper_nonce_resyncs_total)
taken=$(send_as "$KEEPER_KEY" "$KEEPER" --value 0)
expect_eq "another sender's transaction with the keeper's key" "$(status <<<"$taken")" 0x1
push 20000000000
corrected "after the nonce was taken"
resyncs_after=$(metric keeper_nonce_resyncs_total)
[[ $resyncs_after -gt $resyncs_before ]] || { clean "$keeper_log" | tail -30 >&2; echo "FAIL: no nonce resync counted" >&2; exit 1; }
clean "$keeper_log" | grep -m1 "refuses the keeper's nonce" | cut -c 29-
echo "ok: the keeper resynced its nonce (keeper_nonce_resyncs_total $resyncs_before -> $resyncs_after) and its transactions landed"

echo "-- 3. a trade that reverts after its simulation"
# The trader signs the pool's way back (sell cUSDC) in advance and sends it
# the moment the keeper's sustaining poke (streak 2) is sealed: it runs in
# the next block, ahead of the keeper's trade simulated on the sealed one.
fault3() {
  local trader_nonce back
  trader_nonce=$(nonce_of "$TRADER")
  back="$E2E_TMP/back.txt"
  {
    cast mktx --rpc-url "$RPC" --private-key "$TRADER_KEY" --nonce "$((trader_nonce + 2))" --gas-limit 200000 \
      "$CUSDC" "transfer(address,uint256)" "$POOL" 20000000000
    cast mktx --rpc-url "$RPC" --private-key "$TRADER_KEY" --nonce "$((trader_nonce + 3))" --gas-limit 500000 \
      "$POOL" "sellQuote(address)" "$TRADER"
  } >"$back"
  push 20000000000
  timeout 30 python3 - "$RPC" "$FC" "$observed_topic" "$push_block" "$back" <<'PY'
import json, sys, time, urllib.request
url, fc, topic, push, back = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
raws = [l.strip() for l in open(back) if l.strip()]
def rpc(method, *params):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    answer = json.load(urllib.request.urlopen(req, timeout=10))
    if "error" in answer:
        raise SystemExit(f"{method}: {answer['error']}")
    return answer["result"]
seen = push
while True:
    head = int(rpc("eth_blockNumber"), 16)
    if head > seen:
        seen = head
        logs = rpc("eth_getLogs", {"address": fc, "fromBlock": hex(head), "toBlock": hex(head), "topics": [topic]})
        if any(int(l["data"][2 + 128: 2 + 192], 16) >= 2 for l in logs):
            for raw in raws:
                rpc("eth_sendRawTransaction", raw)
            print(f"the trader moved the pool back in the pending block {head + 1}, after the sustaining poke in {head}")
            break
    time.sleep(0.002)
PY
  wait_blocks 4
}
reverted_before=$(clean "$keeper_log" | grep -c "executePrivateSwap reverted" || true)
fault3
reverted_after=$(clean "$keeper_log" | grep -c "executePrivateSwap reverted" || true)
if [[ $reverted_after -eq $reverted_before ]]; then
  echo "the keeper's trade was mined ahead of the trader's: once more"
  wait_blocks 4
  fault3
  reverted_after=$(clean "$keeper_log" | grep -c "executePrivateSwap reverted" || true)
fi
[[ $reverted_after -gt $reverted_before ]] || { clean "$keeper_log" | tail -30 >&2; echo "FAIL: no mined revert" >&2; exit 1; }
revert_line=$(clean "$keeper_log" | grep "executePrivateSwap reverted" | tail -1)
echo "${revert_line:28}"
error=$(grep -o 'error="[^"]*"\|error=[A-Za-z]*' <<<"$revert_line" | head -1 | sed 's/error=//; s/"//g')
[[ -n "$error" && "$error" != unknown* && "$error" != 0x* ]] || { echo "FAIL: the revert is not named: $revert_line" >&2; exit 1; }
echo "ok: the mined revert is logged by name: $error"
metrics | grep -q "^keeper_refusals_total{error=\"${error%%(*}" && echo "ok: keeper_refusals_total counts it"
keeper_txs "$push_block" >"$E2E_TMP/revert-txs.txt"
python3 - "$E2E_TMP/revert-txs.txt" <<'PY'
import sys, collections
lines = [l.split() for l in open(sys.argv[1]) if l.strip()]
failed = [l for l in lines if l[2] != "0x1"]
assert failed, "no failed keeper transaction on chain"
# The same calldata may come again only from a fresh decision: after a poke
# mined after the revert (the sustain rule is met anew). A blind retry has
# none between.
for i, f in enumerate(lines):
    if f[2] == "0x1":
        continue
    for j in (j for j in range(i + 1, len(lines)) if lines[j][3] == f[3]):
        pokes = [l for l in lines[i + 1:j] if l[1] != f[1] and int(l[0]) > int(f[0])]
        assert pokes, f"the reverted call (block {f[0]}) was sent again in block {lines[j][0]} with no new poke"
print(f"ok: the reverted trade (block {failed[0][0]}) was not sent again; keeper transactions since the push: {len(lines)}")
PY
# Whatever deviation the trader left, the keeper decides afresh: wait until
# it has sent nothing for 4 blocks (at most 40), so that the next step
# counts only its own transactions.
for _ in $(seq 1 10); do
  settled_nonce=$(nonce_of "$KEEPER")
  wait_blocks 4
  [[ "$(nonce_of "$KEEPER")" == "$settled_nonce" ]] && break
done
expect_eq "the keeper idle before the next step" "$(nonce_of "$KEEPER")" "$settled_nonce"

echo "-- 4. a disabled direction, then the Stabilizer paused"
expect_eq "guardian disables selling cUSDC" "$(send_as "$GUARDIAN_KEY" "$STAB" "setDirectionEnabled(address,bool)" "$CUSDC" false | status)" 0x1
wait_blocks 1
from_nonce=$(nonce_of "$KEEPER")
push 20000000000
wait_blocks 4
expect_eq "keeper transactions while the correcting direction is disabled" "$(nonce_of "$KEEPER")" "$from_nonce"
clean "$keeper_log" | grep -m1 "correcting direction is disabled" | cut -c 29- || { echo "FAIL: no log of the disabled direction" >&2; exit 1; }
metrics | grep '^keeper_skips_total{reason="direction_disabled"}'
expect_eq "guardian pauses" "$(send_as "$GUARDIAN_KEY" "$STAB" "pause()" | status)" 0x1
expect_eq "admin re-enables selling cUSDC (while paused)" "$(send_as "$ADMIN_KEY" "$STAB" "setDirectionEnabled(address,bool)" "$CUSDC" true | status)" 0x1
wait_blocks 4
expect_eq "keeper transactions while paused" "$(nonce_of "$KEEPER")" "$from_nonce"
expect_eq "keeper_paused" "$(metrics | awk '/^keeper_paused\{/ {print $2}')" 1
clean "$keeper_log" | grep -m1 "is paused" | cut -c 29-
paused_push=$push_block
unpause=$(send_as "$ADMIN_KEY" "$STAB" "unpause()")
expect_eq "admin unpauses" "$(status <<<"$unpause")" 0x1
push_block=$(mined_block <<<"$unpause")
corrected "after the unpause"
held=$(stabilized "$paused_push" | python3 -c 'import json,sys; print(sum(int(l["blockNumber"], 16) <= int(sys.argv[1]) for l in json.load(sys.stdin)))' "$push_block")
expect_eq "Stabilized events while disabled or paused" "$held" 0
expect_eq "keeper_paused after the unpause" "$(metrics | awk '/^keeper_paused\{/ {print $2}')" 0

echo "-- 5. the keeper's balance below min_balance_wei"
balance=$(cast balance --rpc-url "$RPC" "$KEEPER")
cast rpc --rpc-url "$RPC" anvil_setBalance "$KEEPER" "$(printf '0x%x' 100000000000000)" >/dev/null
wait_blocks 1
from_nonce=$(nonce_of "$KEEPER")
push 20000000000
wait_blocks 4
expect_eq "keeper transactions below the floor" "$(nonce_of "$KEEPER")" "$from_nonce"
expect_eq "keeper_balance_low" "$(metric keeper_balance_low)" 1
clean "$keeper_log" | grep -m1 "below min_balance_wei" | cut -c 29-
cast rpc --rpc-url "$RPC" anvil_setBalance "$KEEPER" "$(cast to-hex "$balance")" >/dev/null
funded_at=$(block)
push_block=$funded_at
corrected "after the keeper was funded again"
expect_eq "keeper_balance_low after funding" "$(metric keeper_balance_low)" 0

echo "-- figures"
keeper_alive
run_s=$((SECONDS - keeper_start))
metrics >"$E2E_TMP/metrics.txt"
clean "$keeper_log" >"$E2E_TMP/keeper.clean.log"
python3 - "$E2E_TMP/keeper.clean.log" "$E2E_TMP/metrics.txt" "$run_s" "$BLOCK_TIME" "$recover_s" <<'PY'
import re, statistics, sys
log, metrics, run_s, block_time, recover = open(sys.argv[1]).read(), open(sys.argv[2]).read(), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
lat = {"poke": [], "executePrivateSwap": []}
for line in log.splitlines():
    if "transaction mined" in line:
        call = re.search(r'call="?(\w+)', line).group(1)
        lat.setdefault(call, []).append(float(re.search(r"latency_ms=([0-9.]+)", line).group(1)))
plans = [float(x) for x in re.findall(r"trade planned.*?decided_ms=([0-9.]+)", log)]
if plans:
    print(f"figure: of which planning (checkDeviation, keeperTrade, oracle, PMM state, quote): "
          f"median {statistics.median(plans):.1f} ms")
def m(name):
    return {k: float(v) for k, v in re.findall(rf'^{name}\{{call="(\w+)"\}} (\S+)', metrics, re.M)}
gas, txs = m("keeper_gas_used_total"), m("keeper_transactions_total")
trades = sum(float(v) for v in re.findall(r'^keeper_trades_total\{[^}]*\} (\S+)', metrics, re.M))
for call, values in lat.items():
    if values:
        values.sort()
        print(f"figure: decision latency, {'block seen' if call == 'poke' else 'poke receipt'} -> {call} sent: "
              f"median {statistics.median(values):.1f} ms, 90th percentile {values[int(0.9 * (len(values) - 1))]:.1f} ms, "
              f"max {values[-1]:.1f} ms over {len(values)}")
for call in sorted(gas):
    print(f"figure: {call}: {int(txs[call])} mined, {gas[call] / txs[call]:,.0f} gas each on average")
total = sum(gas.values())
print(f"figure: gas per correction (pokes and trades / {int(trades)} trades): {total / trades:,.0f}")
print(f"figure: over this run ({run_s} s, one push every ~{run_s / 7:.0f} s): {total:,.0f} gas, "
      f"{total * 3600 / run_s:,.0f} gas per pool-hour; at peg the keeper sends nothing (0 gas)")
print(f"figure: node restart: first keeper transaction mined {recover} s after the node answered again")
PY
echo "ok: the whole run took $((SECONDS - run_start)) s"
