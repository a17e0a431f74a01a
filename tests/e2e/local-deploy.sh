# The real deploy: scripts/deploy (cargo stylus deploy 0.10.10, cast) of the
# four contracts with their constructors and wiring, and the local market
# around them (scripts/networks/local.toml), against a vault-node; then,
# over JSON-RPC only: each contract's code hash and activation, the roles,
# the registrations, `cargo stylus check` of each contract, and one
# `checkDeviation` and one `executePrivateSwap` by the keeper on the public
# pool after a trader pushes it off peg.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

start_node RPC
record="$E2E_TMP/local.json"
scripts/deploy scripts/networks/local.toml --rpc-url "$RPC" --record "$record"

field() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval("r"+sys.argv[2]))' "$record" "$1"; }
addr() { field "['contracts']['$1']['address']"; }
fixture() { field "['fixtures']['$1']['address']"; }
lower() { tr '[:upper:]' '[:lower:]'; }
STAB=$(addr Stabilizer); FC=$(addr FlashContainment); MESH=$(addr PrivateMeshPool); SIZER=$(addr ReserveSizer)
POOL=$(fixture PublicPool); ORACLE=$(fixture PoolOracle); CUSDT=$(fixture Cusdt); CUSDC=$(fixture Cusdc)
ADMIN=${DEV_ADDRESSES[0]}; KEEPER=${DEV_ADDRESSES[1]}; TRADER=${DEV_ADDRESSES[2]}; GUARDIAN=${DEV_ADDRESSES[3]}
call() { cast call --rpc-url "$RPC" "$@"; }

echo "-- code and activation"
stylus_version=$(call 0x0000000000000000000000000000000000000071 "stylusVersion()(uint16)")
for name in ReserveSizer FlashContainment PrivateMeshPool Stabilizer; do
  address=$(addr "$name")
  expected=$(field "['contracts']['$name']['code_hash']")
  expect_eq "$name code hash" "$(cast keccak "$(cast code --rpc-url "$RPC" "$address")")" "$expected"
  expect_eq "$name activated at the current Stylus version" \
    "$(call 0x0000000000000000000000000000000000000071 "codehashVersion(bytes32)(uint16)" "$expected")" "$stylus_version"
  expect_eq "$name programVersion" \
    "$(call 0x0000000000000000000000000000000000000071 "programVersion(address)(uint16)" "$address")" "$stylus_version"
done

echo "-- program cache bids"
# scripts/deploy bid (cargo stylus cache bid, 0 wei) for every contract with
# `cache = true` in scripts/networks/system.toml: all four are on the
# keeper's per-block path. The genesis CacheManager holds them.
bid=0
for name in ReserveSizer FlashContainment PrivateMeshPool Stabilizer; do
  expected=$(field "['contracts']['$name']['code_hash']")
  expect_eq "$name code hash cached (ArbWasmCache.codehashIsCached)" \
    "$(call 0x0000000000000000000000000000000000000072 "codehashIsCached(bytes32)(bool)" "$expected")" true
  expect_eq "$name bid recorded" \
    "$(field "['cache']['bids'][$bid]['contract']") $(field "['cache']['bids'][$bid]['cached']")" "$name True"
  bid=$((bid + 1))
done
cache_status=$(cargo stylus cache status --endpoint "$RPC" --address "$STAB" 2>&1) \
  || { echo "$cache_status" >&2; echo "FAIL: cargo stylus cache status" >&2; exit 1; }
grep -q "is cached" <<<"$cache_status" || { echo "$cache_status" >&2; echo "FAIL: cache status does not report the Stabilizer cached" >&2; exit 1; }
echo "ok: cargo stylus cache status reports the Stabilizer cached"

echo "-- roles"
role() { cast keccak "$1"; }
has_role() { call "$1" "hasRole(bytes32,address)(bool)" "$(role "$2")" "$3"; }
expect_eq "admin holds Stabilizer DEFAULT_ADMIN_ROLE" \
  "$(call "$STAB" "hasRole(bytes32,address)(bool)" 0x0000000000000000000000000000000000000000000000000000000000000000 "$ADMIN")" true
expect_eq "keeper holds Stabilizer KEEPER_ROLE" "$(has_role "$STAB" KEEPER_ROLE "$KEEPER")" true
expect_eq "trader lacks Stabilizer KEEPER_ROLE" "$(has_role "$STAB" KEEPER_ROLE "$TRADER")" false
expect_eq "keeper holds FlashContainment POKER_ROLE" "$(has_role "$FC" POKER_ROLE "$KEEPER")" true
expect_eq "Stabilizer holds FlashContainment STABILIZER_ROLE" "$(has_role "$FC" STABILIZER_ROLE "$STAB")" true
expect_eq "Stabilizer holds PrivateMeshPool STABILIZER_ROLE" "$(has_role "$MESH" STABILIZER_ROLE "$STAB")" true
expect_eq "Stabilizer holds ReserveSizer REPORTER_ROLE" "$(has_role "$SIZER" REPORTER_ROLE "$STAB")" true
for contract in "$STAB" "$FC" "$MESH" "$SIZER"; do
  expect_eq "guardian holds GUARDIAN_ROLE on $contract" "$(has_role "$contract" GUARDIAN_ROLE "$GUARDIAN")" true
done

echo "-- registrations"
contracts=$(call "$STAB" "contracts()(address[9])" | lower)
for expected in "$POOL" "$FC" "$MESH" "$SIZER" "$ORACLE"; do
  [[ "$contracts" == *"$(lower <<<"$expected")"* ]] || { echo "FAIL: Stabilizer.contracts() lacks $expected: $contracts" >&2; exit 1; }
done
echo "ok: Stabilizer.contracts() names the pool, FlashContainment, the mesh, the ReserveSizer and the oracle"
expect_eq "FlashContainment binds the pool to the Stabilizer" "$(call "$FC" "stabilizerOf(address)(address)" "$POOL" | lower)" "$(lower <<<"$STAB")"
expect_eq "FlashContainment's oracle of the pool" \
  "$(call "$FC" "poolConfig(address)(address,uint64,uint64,uint64,uint64,uint64,uint64,uint256)" "$POOL" | head -1 | lower)" "$(lower <<<"$ORACLE")"
expect_eq "the mesh has both pools" "$(call "$MESH" "poolCount()(uint256)")" 2
expect_eq "ReserveSizer holder of cUSDT is the mesh" \
  "$(call "$SIZER" "assetConfig(address)(address,address,uint64,uint64,uint64,uint64)" "$CUSDT" | head -1 | lower)" "$(lower <<<"$MESH")"

echo "-- cargo stylus check against the node"
for package in reserve-sizer flash-containment private-mesh-pool stabilizer; do
  (cd "contracts/$package" && cargo stylus check --endpoint "$RPC" >"$E2E_TMP/check-$package.log" 2>&1) \
    || { cat "$E2E_TMP/check-$package.log" >&2; echo "FAIL: cargo stylus check $package" >&2; exit 1; }
  echo "ok: cargo stylus check $package"
done

echo "-- a pool pushed off peg, corrected by the keeper"
send_as() { local key="$1"; shift; cast send --rpc-url "$RPC" --private-key "$key" --json "$@"; }
status() { python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'; }
expect_eq "poke before the push" "$(send_as "${DEV_KEYS[1]}" "$FC" "poke(address)" "$POOL" | status)" 0x1
# The trader sells 20,000 cUSDT (base) into the pool, DODO style.
expect_eq "trader's transfer" "$(send_as "${DEV_KEYS[2]}" "$CUSDT" "transfer(address,uint256)" "$POOL" 20000000000 | status)" 0x1
expect_eq "trader's sellBase" "$(send_as "${DEV_KEYS[2]}" "$POOL" "sellBase(address)" "$TRADER" | status)" 0x1
mid_before=$(call "$POOL" "getMidPrice()(uint256)" | awk '{print $1}')
echo "mid price after the push: $mid_before (peg 1e18)"
# FlashContainment's sustain (2 blocks) and TWAP (3 blocks): the keeper pokes
# once per block (one transaction is one block on the node).
for _ in 1 2 3; do
  expect_eq "keeper poke" "$(send_as "${DEV_KEYS[1]}" "$FC" "poke(address)" "$POOL" | status)" 0x1
done
deviation=$(call "$STAB" "checkDeviation()(int256,bool)")
echo "checkDeviation: $(tr '\n' ' ' <<<"$deviation")"
expect_eq "checkDeviation says rebalance" "$(sed -n 2p <<<"$deviation")" true
deviation_bps=$(sed -n 1p <<<"$deviation" | awk '{print $1}')
[[ "$deviation_bps" -le -8 ]] || { echo "FAIL: deviation $deviation_bps bps, expected at most -8 (base cheap)" >&2; exit 1; }
trade=$(call "$STAB" "keeperTrade()(uint256,address,address,uint256)" | awk '{print $1}')
mapfile -t t <<<"$trade"
echo "keeperTrade: size ${t[0]}, in ${t[1]}, out ${t[2]}, min out ${t[3]}"
expect_eq "the Stabilizer pays cUSDC into the pool (buys the cheap cUSDT)" "$(lower <<<"${t[1]}")" "$(lower <<<"$CUSDC")"
# keeperTrade's size is the per-block cap (25,000), more than the pool needs:
# sent as it is, the Stabilizer refuses it (PegOvershoot). The keeper sizes
# to the peg off chain (vault_math::sizing; tests/e2e/keeper.sh); here a
# size below the trader's push, bounded by the pool's own quote.
overshoot=$(cast call --rpc-url "$RPC" --from "$KEEPER" "$STAB" "executePrivateSwap(uint256,address,address,uint256)" \
  "${t[0]}" "${t[1]}" "${t[2]}" "${t[3]}" 2>&1 || true)
[[ "$overshoot" == *"$(cast sig "PegOvershoot(uint256)")"* ]] \
  || { echo "FAIL: the cap-sized trade was not refused with PegOvershoot: $overshoot" >&2; exit 1; }
echo "ok: the cap-sized trade is refused (PegOvershoot)"
size=15000000000
min_out=$(call "$POOL" "querySellQuote(address,uint256)(uint256,uint256,uint8,uint256)" "$STAB" "$size" | head -1 | awk '{print $1}')
echo "trade: $size cUSDC in, at least $min_out cUSDT out"
started=$(date +%s%N)
estimate=$(cast estimate --rpc-url "$RPC" --from "$KEEPER" "$STAB" "executePrivateSwap(uint256,address,address,uint256)" "$size" "${t[1]}" "${t[2]}" "$min_out")
echo "eth_estimateGas of the trade: $estimate gas in $(( ($(date +%s%N) - started) / 1000000 )) ms (figure only)"
receipt=$(send_as "${DEV_KEYS[1]}" "$STAB" "executePrivateSwap(uint256,address,address,uint256)" "$size" "${t[1]}" "${t[2]}" "$min_out")
expect_eq "executePrivateSwap succeeds" "$(status <<<"$receipt")" 0x1
stabilized_topic=$(cast keccak "Stabilized(address,address,address,uint256,uint256,uint256,int256,uint256,uint256,uint256,uint64)")
events=$(python3 -c 'import json,sys; r=json.load(sys.stdin); print(sum(1 for l in r["logs"] if l["topics"][0]==sys.argv[1] and l["address"].lower()==sys.argv[2].lower()))' "$stabilized_topic" "$STAB" <<<"$receipt")
expect_eq "one Stabilized event from the Stabilizer" "$events" 1
mid_after=$(call "$POOL" "getMidPrice()(uint256)" | awk '{print $1}')
echo "mid price after the correction: $mid_after"
python3 - "$mid_before" "$mid_after" <<'PY'
import sys
before, after = (int(v) for v in sys.argv[1:])
peg = 10**18
assert abs(after - peg) < abs(before - peg), f"not closer to the peg: {before} -> {after}"
assert after <= peg, f"past the peg: {after}"
print(f"ok: deviation {(before - peg) / peg * 1e4:.2f} bps -> {(after - peg) / peg * 1e4:.2f} bps, not past the peg")
PY
gas=$(python3 -c 'import json,sys; print(int(json.load(sys.stdin)["gasUsed"],16))' <<<"$receipt")
echo "executePrivateSwap gas used over RPC: $gas"
