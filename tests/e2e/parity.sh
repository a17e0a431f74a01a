# vault-keeper parity as a separate process over JSON-RPC: two vault-nodes
# with different chain ids stand for Chain 138 (scripts/networks/local.toml,
# 412346) and Alltra (local-alltra.toml, 651940), each with the system and
# its market deployed by scripts/deploy. The bot is dev account 4
# (crates/keeper/examples/parity.key); this test funds it with 100,000 cUSDT
# and 100,000 cUSDC on each chain from dev account 0 (the deployer): that is
# its inventory. The bot's start-up checks (each failure names its
# configuration field); then the trader (dev account 2) pushes Chain 138's
# pool to a 0.5% spread, and the bot must bring it back under 0.15% by a
# leg on each chain, seen from getMidPrice on both chains, its DODOSwap
# events and their receipts, and its /metrics; and stop with status 0 on
# SIGTERM.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# The built keeper (scripts/e2e builds it; VAULT_KEEPER overrides).
VAULT_KEEPER="${VAULT_KEEPER:-$ROOT/target/debug/vault-keeper}"

# Each chain deployed by scripts/deploy (tests/e2e/lib.sh deployed_node:
# one real deploy per network file per scripts/e2e run).
deploy_start=$SECONDS
deployed_node RPC_A "$E2E_TMP/a.json" scripts/networks/local.toml
deployed_node RPC_B "$E2E_TMP/b.json" scripts/networks/local-alltra.toml
echo "ok: deployed on both chains (local.toml, local-alltra.toml) in $((SECONDS - deploy_start)) s"

field() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["fixtures"][sys.argv[2]]["address"])' "$1" "$2"; }
POOL_A=$(field "$E2E_TMP/a.json" PublicPool)
POOL_B=$(field "$E2E_TMP/b.json" PublicPool)
CUSDT_A=$(field "$E2E_TMP/a.json" Cusdt)
CUSDC_A=$(field "$E2E_TMP/a.json" Cusdc)
CUSDT_B=$(field "$E2E_TMP/b.json" Cusdt)
CUSDC_B=$(field "$E2E_TMP/b.json" Cusdc)
TRADER=${DEV_ADDRESSES[2]}
bot_key="$ROOT/crates/keeper/examples/parity.key"
BOT=$(cast wallet address --private-key "$(cat "$bot_key")")
expect_eq "chain ids" "$(cast chain-id --rpc-url "$RPC_A")/$(cast chain-id --rpc-url "$RPC_B")" "412346/651940"

send_as() { local rpc="$1" key="$2"; shift 2; cast send --rpc-url "$rpc" --private-key "$key" --json "$@"; }
status() { python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'; }
for side in "$RPC_A $CUSDT_A" "$RPC_A $CUSDC_A" "$RPC_B $CUSDT_B" "$RPC_B $CUSDC_B"; do
  read -r rpc token <<<"$side"
  expect_eq "funding the bot ($token on $rpc)" \
    "$(send_as "$rpc" "${DEV_KEYS[0]}" "$token" "transfer(address,uint256)" "$BOT" 100000000000 | status)" 0x1
done

mid() { cast call --rpc-url "$1" "$2" "getMidPrice()(uint256)" "${@:3}" | awk '{print $1}'; }

# write_config FILE [NAME=VALUE ...]: the bot's configuration for these
# nodes; KEY_A, URL_B, CHAIN_B and POOL_B override its parts.
write_config() {
  local file="$1" KEY_A="$bot_key" URL_B="$RPC_B" CHAIN_B=651940 POOL_B="$POOL_B" TRIGGER="trigger_bps = 5"
  shift
  local assignment
  for assignment in "$@"; do local "$assignment"; done
  cat >"$file" <<EOF
$TRIGGER
alert_bps = 15
bridge_latency_blocks = 40
blocks_per_minute = 60
poll_interval_ms = 100
estimate_timeout_ms = 5000
metrics_listen = "127.0.0.1:${METRICS_PORT:-0}"

[chain_138]
rpc_url = "$RPC_A"
chain_id = 412346
private_key_path = "$KEY_A"

[alltra]
rpc_url = "$URL_B"
chain_id = $CHAIN_B
private_key_path = "$bot_key"

[[pairs]]
label = "cUSDT/cUSDC"
pool_138 = "$POOL_A"
pool_alltra = "$POOL_B"
max_base_in = "25000000000"
max_quote_in = "25000000000"
EOF
}

echo "-- start-up checks"
# expect_refusal WHAT FIELD [NAME=VALUE ...]: the bot exits non-zero at
# start, naming FIELD.
expect_refusal() {
  local what="$1" expected="$2" log="$E2E_TMP/bad.log" status=0
  shift 2
  write_config "$E2E_TMP/bad.toml" "$@"
  timeout 30 "$VAULT_KEEPER" parity --config "$E2E_TMP/bad.toml" >"$log" 2>&1 || status=$?
  if [[ $status -eq 0 ]] || ! grep -q "$expected" "$log"; then
    cat "$log" >&2
    echo "FAIL: $what: exit $status, expected a failure naming '$expected'" >&2
    exit 1
  fi
  echo "ok: $what: refused ($(grep -o "$expected.*" "$log" | head -1 | cut -c1-110))"
}
expect_refusal "missing key file" "chain_138.private_key_path: " KEY_A="$E2E_TMP/no-such.key"
expect_refusal "unreachable RPC" "alltra.rpc_url: " URL_B="http://127.0.0.1:$(free_port)"
expect_refusal "wrong chain id" "alltra.chain_id: " CHAIN_B=651941
expect_refusal "a pool without code" "pairs\[0\].pool_alltra: " POOL_B="$TRADER"
expect_refusal "a pool that is not a DODO pool (ABI mismatch)" "pairs\[0\].pool_alltra: .*does not answer as a DODO pool" POOL_B="$CUSDT_B"
expect_refusal "a missing field" "missing field \`trigger_bps\`" TRIGGER=""

echo "-- a 0.5% spread"
METRICS_PORT=$(free_port)
write_config "$E2E_TMP/parity.toml"
bot_log="$E2E_TMP/bot.log"
"$VAULT_KEEPER" parity --config "$E2E_TMP/parity.toml" >"$bot_log" 2>&1 &
bot_pid=$!
E2E_PIDS+=("$bot_pid")
for _ in $(seq 1 100); do
  grep -q "parity bot started" "$bot_log" && break
  kill -0 "$bot_pid" 2>/dev/null || { cat "$bot_log" >&2; echo "FAIL: the bot exited at start" >&2; exit 1; }
  sleep 0.1
done
grep -q "parity bot started" "$bot_log" || { cat "$bot_log" >&2; echo "FAIL: the bot did not start" >&2; exit 1; }
echo "ok: the bot started"
# In parity it only reads: mine a block on each chain and see no transaction.
cast rpc --rpc-url "$RPC_A" evm_mine >/dev/null
cast rpc --rpc-url "$RPC_B" evm_mine >/dev/null
sleep 1
expect_eq "transactions at parity" "$(grep -c "transaction mined" "$bot_log" || true)" 0
mid_a0=$(mid "$RPC_A" "$POOL_A")
mid_b0=$(mid "$RPC_B" "$POOL_B")
expect_eq "mid prices at start" "$mid_a0" "$mid_b0"
# The trader sells 26,100 cUSDT into Chain 138's pool: its mid price falls
# by 0.5% (i(1 - k + k(B0/B)^2) with k = 0.1, B0 = 1,000,000).
push_block_b=$(cast block-number --rpc-url "$RPC_B")
expect_eq "trader's transfer" "$(send_as "$RPC_A" "${DEV_KEYS[2]}" "$CUSDT_A" "transfer(address,uint256)" "$POOL_A" 26100000000 | status)" 0x1
sell=$(send_as "$RPC_A" "${DEV_KEYS[2]}" "$POOL_A" "sellBase(address)" "$TRADER")
expect_eq "trader's sellBase" "$(status <<<"$sell")" 0x1
pushed_at=$(date +%s%N)
push_block=$(python3 -c 'import json,sys; print(int(json.load(sys.stdin)["blockNumber"], 16))' <<<"$sell")
mid_pushed=$(mid "$RPC_A" "$POOL_A" --block "$push_block")
spread() { python3 -c 'import sys; a, b = int(sys.argv[1]), int(sys.argv[2]); print(f"{abs(a * 10**6 // b - 10**6) / 100:.2f}")' "$1" "$2"; }
spread_pushed=$(spread "$mid_pushed" "$mid_b0")
echo "spread after the push: $spread_pushed bps (Chain 138 mid $mid_pushed, Alltra $mid_b0, block $push_block)"
python3 -c 'import sys; assert float(sys.argv[1]) >= 50, sys.argv[1]' "$spread_pushed" || { echo "FAIL: the push is below 0.5%" >&2; exit 1; }
restored=0
for _ in $(seq 1 100); do
  spread_now=$(spread "$(mid "$RPC_A" "$POOL_A")" "$(mid "$RPC_B" "$POOL_B")")
  if python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < 15 else 1)' "$spread_now"; then
    restored=1
    break
  fi
  sleep 0.2
done
[[ $restored -eq 1 ]] || { cat "$bot_log" >&2; echo "FAIL: the spread stays at $spread_now bps" >&2; exit 1; }
echo "ok: under 15 bps $((($(date +%s%N) - pushed_at) / 1000000)) ms after the push's receipt (polled every 0.2 s)"
# Let the bot finish what it started, then read the record.
sleep 1
mid_a1=$(mid "$RPC_A" "$POOL_A")
mid_b1=$(mid "$RPC_B" "$POOL_B")
spread_after=$(spread "$mid_a1" "$mid_b1")
echo "spread restored: $spread_after bps (Chain 138 mid $mid_a1, Alltra $mid_b1)"
grep -E "alert threshold|parity leg|parity trade|transaction mined|reverted|abandoned" "$bot_log" | sed -E 's/\x1b\[[0-9;]*m//g' | cut -c 29-
grep -q "cross-chain spread past the alert threshold" "$bot_log" || { echo "FAIL: no alert logged" >&2; exit 1; }
if grep -q "reverted" "$bot_log"; then echo "FAIL: a leg reverted" >&2; exit 1; fi

# The bot's legs from chain: DODOSwap events paid to the bot, with their
# receipts' gas.
swap_topic=$(cast keccak "DODOSwap(address,address,uint256,uint256,address,address)")
legs() {
  local rpc="$1" pool="$2" from="$3"
  cast rpc --rpc-url "$rpc" eth_getLogs \
    "{\"address\":\"$pool\",\"fromBlock\":\"$(printf '0x%x' "$from")\",\"toBlock\":\"latest\",\"topics\":[\"$swap_topic\"]}"
}
legs "$RPC_A" "$POOL_A" "$((push_block + 1))" >"$E2E_TMP/legs-a.json"
legs "$RPC_B" "$POOL_B" "$((push_block_b + 1))" >"$E2E_TMP/legs-b.json"
receipt_gas() { cast receipt --rpc-url "$1" "$2" gasUsed; }
python3 - "$E2E_TMP/legs-a.json" "$E2E_TMP/legs-b.json" "$BOT" "$push_block" "$spread_pushed" "$spread_after" >"$E2E_TMP/legs.txt" <<'PY'
import json, sys
bot = sys.argv[3].lower()
push_block = int(sys.argv[4])
for chain, path in (("138", sys.argv[1]), ("Alltra", sys.argv[2])):
    logs = [log for log in json.load(open(path))
            if int(log["data"][2 + 64 * 5: 2 + 64 * 6], 16) == int(bot, 16)]
    assert len(logs) == 1, f"{chain}: {len(logs)} legs paid to the bot, expected 1"
    log = logs[0]
    words = [int(log["data"][2 + 64 * i: 2 + 64 * (i + 1)], 16) for i in range(6)]
    print(chain, log["transactionHash"], int(log["blockNumber"], 16), words[2], words[3])
PY
while read -r chain hash block amount_in amount_out; do
  rpc=$RPC_A
  [[ "$chain" == Alltra ]] && rpc=$RPC_B
  gas=$(receipt_gas "$rpc" "$hash")
  echo "ok: leg on $chain in block $block: $amount_in in, $amount_out out, sell gas $gas"
  [[ "$chain" == 138 ]] && echo "ok: Chain 138's leg landed $((block - push_block)) blocks after the push (a block per transaction)"
done <"$E2E_TMP/legs.txt"
python3 -c 'import sys; assert float(sys.argv[1]) < 15, sys.argv[1]' "$spread_after"
echo "ok: spread $spread_pushed bps -> $spread_after bps (< 15)"

python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
  "http://127.0.0.1:$METRICS_PORT/metrics" >"$E2E_TMP/metrics.txt"
grep -E "^parity_" "$E2E_TMP/metrics.txt"
python3 - "$spread_after" "$E2E_TMP/metrics.txt" <<'PY' || { echo "FAIL: metrics" >&2; exit 1; }
import re, sys
page = open(sys.argv[2]).read()
spread = float(re.search(r'^parity_spread_bps\{pair="cUSDT/cUSDC"\} (\S+)$', page, re.M).group(1))
alerts = int(re.search(r'^parity_alerts_total (\d+)$', page, re.M).group(1))
trades = int(re.search(r'^parity_trades_total\{pair="cUSDT/cUSDC"\} (\d+)$', page, re.M).group(1))
assert spread < 15 and abs(spread - float(sys.argv[1])) < 0.01, (spread, sys.argv[1])
assert alerts >= 1 and trades == 1, (alerts, trades)
print(f"ok: /metrics: parity_spread_bps {spread}, parity_alerts_total {alerts}, parity_trades_total {trades}")
PY

bot_status=0
kill -TERM "$bot_pid"
wait "$bot_pid" || bot_status=$?
expect_eq "the bot's exit status after SIGTERM" "$bot_status" 0
grep -q "parity bot stopped" "$bot_log" || { cat "$bot_log" >&2; echo "FAIL: no clean stop" >&2; exit 1; }
echo "ok: the bot stopped cleanly"
