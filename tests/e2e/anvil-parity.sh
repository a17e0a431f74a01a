#!/usr/bin/env bash
# The EVM side of vault-node against Foundry's anvil: the same EVM-only
# transactions, sent with cast from the same dev keys to both (the
# OpenZeppelin ERC-20 fixture: deploy, transfers, approve + transferFrom, a
# transfer reverting with ERC20InsufficientBalance, an ether transfer), then
# the receipts and the resulting state compared field by field. The one
# difference, the gas price, is asserted exactly (crates/node/README.md,
# "Compared with anvil").
source "$(dirname "$0")/lib.sh"

BASE_FEE=10000000 # the node's: Arbitrum's minimum, 0.01 gwei
TOKEN_JSON="$ROOT/tests/solidity/artifacts/TestToken.json"

anvil_port="$(free_port)"
ANVIL="http://127.0.0.1:$anvil_port"
# Cancun: the node's EVM rules. The same starting base fee; no tip.
anvil --port "$anvil_port" --chain-id 412346 --hardfork cancun --base-fee "$BASE_FEE" \
  --no-priority-fee --silent >"$E2E_TMP/anvil.log" 2>&1 &
E2E_PIDS+=("$!")
for _ in $(seq 1 100); do
  cast chain-id --rpc-url "$ANVIL" >/dev/null 2>&1 && break
  sleep 0.1
done
expect_eq "anvil chain id" "$(cast chain-id --rpc-url "$ANVIL")" 412346
start_node NODE
declare -A URL=([anvil]="$ANVIL" [node]="$NODE")

big() { python3 -c "print($1)"; }
rpc() { # rpc URL METHOD PARAMS-JSON: the whole JSON-RPC answer
  curl -s -X POST "$1" -H 'content-type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":$3}"
}

holder="${DEV_ADDRESSES[0]}"
supply=1000000000000000000000000
init="$(jq -r .bytecode "$TOKEN_JSON")$(cast abi-encode 'constructor(string,string,uint8,address,uint256)' \
  Test TST 18 "$holder" "$supply" | cut -c3-)"
token="$(cast compute-address --nonce 0 "$holder" | awk '{print $NF}')"

# send CHAIN STEP KEY-INDEX ARGS...: a cast send from dev key KEY-INDEX;
# the receipt goes to $E2E_TMP/CHAIN-STEP.json.
send() {
  local chain="$1" step="$2" key="${DEV_KEYS[$3]}" hash
  shift 3
  hash="$(cast send --async --rpc-url "${URL[$chain]}" --private-key "$key" --priority-gas-price 0 "$@")"
  cast receipt --json --rpc-url "${URL[$chain]}" "$hash" >"$E2E_TMP/$chain-$step.json"
}
STEPS=(deploy transfer small-transfer approve transfer-from reverting-transfer ether impersonated)
WHALE=0x5757575757575757575757575757575757575757
for chain in anvil node; do
  send "$chain" deploy 0 --create "$init"
  send "$chain" transfer 0 "$token" 'transfer(address,uint256)' "${DEV_ADDRESSES[1]}" 1000000000000000000000
  send "$chain" small-transfer 0 "$token" 'transfer(address,uint256)' "${DEV_ADDRESSES[2]}" 250
  send "$chain" approve 0 "$token" 'approve(address,uint256)' "${DEV_ADDRESSES[1]}" 500000000000000000000
  send "$chain" transfer-from 1 "$token" 'transferFrom(address,address,uint256)' \
    "$holder" "${DEV_ADDRESSES[3]}" 200000000000000000000
  # More than DEV 2 holds: mined with a fixed gas limit, it reverts.
  send "$chain" reverting-transfer 2 --gas-limit 100000 "$token" 'transfer(address,uint256)' "$holder" 251
  send "$chain" ether 3 --value 1ether "${DEV_ADDRESSES[1]}"
  # eth_sendTransaction (cast --unlocked) from an impersonated account.
  cast rpc --rpc-url "${URL[$chain]}" anvil_impersonateAccount "$WHALE" >/dev/null
  cast rpc --rpc-url "${URL[$chain]}" anvil_setBalance "$WHALE" 0xde0b6b3a7640000 >/dev/null
  hash="$(cast send --async --rpc-url "${URL[$chain]}" --unlocked --from "$WHALE" --priority-gas-price 0 \
    --value 12345 "${DEV_ADDRESSES[1]}")"
  cast receipt --json --rpc-url "${URL[$chain]}" "$hash" >"$E2E_TMP/$chain-impersonated.json"
done

# Receipts: everything but the gas price and block hashes, field by field.
fields='{status, gasUsed, cumulativeGasUsed, type, from, to, contractAddress, blockNumber, transactionIndex,
  logs: [.logs[] | {address, topics, data, logIndex, transactionIndex}]} | walk(if type == "string" then ascii_downcase else . end)'
for step in "${STEPS[@]}"; do
  for field in status gasUsed cumulativeGasUsed type from to contractAddress blockNumber transactionIndex logs; do
    expect_eq "$step receipt $field" \
      "$(jq -c "$fields | .$field" "$E2E_TMP/node-$step.json")" \
      "$(jq -c "$fields | .$field" "$E2E_TMP/anvil-$step.json")"
  done
done
expect_eq "deploy: contract address" "$(jq -r .contractAddress "$E2E_TMP/node-deploy.json")" "${token,,}"
expect_eq "reverting transfer: status" "$(jq -r .status "$E2E_TMP/node-reverting-transfer.json")" 0x0
# OpenZeppelin 5 spends an allowance without an Approval event.
expect_eq "transferFrom: one Transfer log" "$(jq '.logs | length' "$E2E_TMP/node-transfer-from.json")" 1

# The gas price, the documented difference: the node charges its constant
# base fee; anvil charges each block's EIP-1559 base fee, which falls from
# --base-fee by up to 1/8 per block below the gas target (no tip on either).
# Block 1 starts at --base-fee.
expected="$BASE_FEE"
target=$(($(cast block 0 --json --rpc-url "$ANVIL" | jq -r .gasLimit) / 2))
for step in "${STEPS[@]}"; do
  expect_eq "$step: node's gas price" "$(cast to-dec "$(jq -r .effectiveGasPrice "$E2E_TMP/node-$step.json")")" "$BASE_FEE"
  expect_eq "$step: anvil's gas price (its block's base fee)" \
    "$(cast to-dec "$(jq -r .effectiveGasPrice "$E2E_TMP/anvil-$step.json")")" "$expected"
  used="$(cast to-dec "$(jq -r .gasUsed "$E2E_TMP/anvil-$step.json")")"
  expected=$((expected - expected * (target - used) / target / 8))
done

# The revert, as eth_call reports it: code 3 and the custom error's bytes.
call="{\"from\":\"${DEV_ADDRESSES[2]}\",\"to\":\"$token\",\"data\":\"$(cast calldata 'transfer(address,uint256)' "$holder" 251)\"}"
for chain in anvil node; do
  rpc "${URL[$chain]}" eth_call "[$call,\"latest\"]" | jq -c '.error | {code, data}' >"$E2E_TMP/$chain-revert.json"
done
expect_eq "eth_call revert" "$(cat "$E2E_TMP/node-revert.json")" "$(cat "$E2E_TMP/anvil-revert.json")"
expect_eq "eth_call revert data: ERC20InsufficientBalance(dev2, 250, 251)" \
  "$(jq -r .data "$E2E_TMP/node-revert.json")" \
  "$(cast calldata 'ERC20InsufficientBalance(address,uint256,uint256)' "${DEV_ADDRESSES[2]}" 250 251)"

# State: code, supply, balances, allowance, nonces, and ether balances once
# each chain's own fees are added back.
view() { cast call --rpc-url "${URL[$1]}" "$token" "${@:2}"; }
fees_paid() { # fees_paid CHAIN ADDRESS: the sum of gasUsed x effectiveGasPrice it paid
  local total=0 step
  for step in "${STEPS[@]}"; do
    if [[ "$(jq -r '.from | ascii_downcase' "$E2E_TMP/$1-$step.json")" == "${2,,}" ]]; then
      total="$(big "$total + $(jq -r .gasUsed "$E2E_TMP/$1-$step.json") * $(jq -r .effectiveGasPrice "$E2E_TMP/$1-$step.json")")"
    fi
  done
  echo "$total"
}
expect_eq "token code" "$(cast code --rpc-url "$NODE" "$token")" "$(cast code --rpc-url "$ANVIL" "$token")"
expect_eq "totalSupply" "$(view node 'totalSupply()(uint256)')" "$(view anvil 'totalSupply()(uint256)')"
expect_eq "allowance" "$(view node 'allowance(address,address)(uint256)' "$holder" "${DEV_ADDRESSES[1]}")" \
  "$(view anvil 'allowance(address,address)(uint256)' "$holder" "${DEV_ADDRESSES[1]}")"
expect_eq "allowance left" "$(view node 'allowance(address,address)(uint256)' "$holder" "${DEV_ADDRESSES[1]}")" \
  "300000000000000000000 [3e20]"
for i in 0 1 2 3; do
  who="${DEV_ADDRESSES[$i]}"
  expect_eq "dev $i token balance" "$(view node 'balanceOf(address)(uint256)' "$who")" \
    "$(view anvil 'balanceOf(address)(uint256)' "$who")"
  expect_eq "dev $i nonce" "$(cast nonce --rpc-url "$NODE" "$who")" "$(cast nonce --rpc-url "$ANVIL" "$who")"
  for chain in anvil node; do
    declare "before_fees_$chain=$(big "$(cast balance --rpc-url "${URL[$chain]}" "$who") + $(fees_paid "$chain" "$who")")"
  done
  expect_eq "dev $i ether balance plus fees" "$before_fees_node" "$before_fees_anvil"
done
expect_eq "dev 2 token balance" "$(view node 'balanceOf(address)(uint256)' "${DEV_ADDRESSES[2]}")" 250
for chain in anvil node; do
  declare "whale_$chain=$(big "$(cast balance --rpc-url "${URL[$chain]}" "$WHALE") + $(fees_paid "$chain" "$WHALE")")"
done
expect_eq "impersonated account: ether balance plus fees" "$whale_node" "$whale_anvil"
expect_eq "impersonated account: nonce" "$(cast nonce --rpc-url "$NODE" "$WHALE")" 1
