# Conformance of logic no one here wrote: the Stylus ERC-20 fixture
# (tests/stylus-erc20, OpenZeppelin's openzeppelin-stylus 0.3.0 Erc20 and
# Erc20Metadata) deployed through a vault-node with `cargo stylus deploy`,
# beside OpenZeppelin's Solidity ERC20 (5.4.0, tests/solidity TestToken)
# deployed with cast. The same scenario runs against both tokens and checks
# OpenZeppelin's documented behaviour (ERC-20, IERC6093 errors) with literal
# expectations: return values, Transfer/Approval logs from receipts, the
# exact revert data (selector and arguments), state unchanged after a
# reverted call and after a mined reverted transaction. Then the two
# transcripts (token address aside) must be identical.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

start_node RPC
HOLDER=${DEV_ADDRESSES[0]}; BOB=${DEV_ADDRESSES[1]}; SPENDER=${DEV_ADDRESSES[2]}
HOLDER_KEY=${DEV_KEYS[0]}; BOB_KEY=${DEV_KEYS[1]}; SPENDER_KEY=${DEV_KEYS[2]}
ZERO=0x0000000000000000000000000000000000000000
MAX=115792089237316195423570985008687907853269984665640564039457584007913129639935
NAME="Stylus Token"; SYMBOL=STK; SUPPLY=1000000000000000000000000
FIXTURE="$ROOT/tests/stylus-erc20"

lower() { tr '[:upper:]' '[:lower:]'; }
strip_colour() { sed 's/\x1b\[[0-9;]*m//g'; }
# A 32-byte word of an ABI value, and OpenZeppelin's event topics.
word() { cast abi-encode "f($1)" "$2"; }
TRANSFER=$(cast keccak "Transfer(address,address,uint256)")
APPROVAL=$(cast keccak "Approval(address,address,uint256)")
# An IERC6093 error as OpenZeppelin encodes it: selector of the signature,
# then the ABI-encoded arguments (the same layout as a call).
oz_error() { cast calldata "$@" | lower; }

echo "-- cargo stylus check and deploy of the fixture (tests/stylus-erc20)"
(cd "$FIXTURE" && cargo stylus check --endpoint "$RPC") >"$E2E_TMP/check.log" 2>&1 \
  || { strip_colour <"$E2E_TMP/check.log" >&2; echo "FAIL: cargo stylus check" >&2; exit 1; }
size=$(strip_colour <"$E2E_TMP/check.log" | sed -n 's/.*contract size: .*(\([0-9]*\) bytes).*/\1/p')
echo "ok: cargo stylus check passes (deployed size $size bytes)"
[[ -n "$size" && "$size" -le 24576 ]] || { echo "FAIL: deployed size '$size' above 24,576" >&2; exit 1; }
(cd "$FIXTURE" && cargo stylus deploy --endpoint "$RPC" --private-key "$HOLDER_KEY" --no-verify \
  --constructor-args "$NAME" "$SYMBOL" "$HOLDER" "$SUPPLY") >"$E2E_TMP/deploy.log" 2>&1 \
  || { strip_colour <"$E2E_TMP/deploy.log" >&2; echo "FAIL: cargo stylus deploy" >&2; exit 1; }
STYLUS=$(strip_colour <"$E2E_TMP/deploy.log" | sed -n 's/.*deployed code at address: \(0x[0-9a-fA-F]*\).*/\1/p' | lower)
STYLUS_TX=$(strip_colour <"$E2E_TMP/deploy.log" | sed -n 's/.*deployment tx hash: \(0x[0-9a-fA-F]*\).*/\1/p')
[[ -n "$STYLUS" && -n "$STYLUS_TX" ]] || { strip_colour <"$E2E_TMP/deploy.log" >&2; echo "FAIL: no address in the deploy output" >&2; exit 1; }
echo "ok: deployed at $STYLUS"
expect_eq "the fixture is Stylus code" "$(cast code --rpc-url "$RPC" "$STYLUS" | cut -c1-10)" 0xeff00000

echo "-- OpenZeppelin's Solidity ERC20 (tests/solidity TestToken) beside it"
bytecode=$(jq -r .bytecode tests/solidity/artifacts/TestToken.json)
args=$(cast abi-encode "constructor(string,string,uint8,address,uint256)" "$NAME" "$SYMBOL" 18 "$HOLDER" "$SUPPLY")
receipt=$(cast send --rpc-url "$RPC" --private-key "$HOLDER_KEY" --json --create "$bytecode${args#0x}")
SOLIDITY=$(jq -r .contractAddress <<<"$receipt" | lower)
SOLIDITY_TX=$(jq -r .transactionHash <<<"$receipt")
expect_eq "TestToken created" "$(jq -r .status <<<"$receipt")" 0x1

# The scenario against TOKEN (deployed by DEPLOY_TX). Each observation is
# checked against OpenZeppelin's documented result and written to the
# transcript $E2E_TMP/<label>.txt with the token's address replaced.
scenario() {
  local label="$1" token="$2" deploy_tx="$3"
  local out="$E2E_TMP/$label.txt"
  : >"$out"
  note() { printf '%s\n' "$*" | sed "s/$token/TOKEN/g" >>"$out"; }
  check() { expect_eq "$label: $1" "$2" "$3"; note "$1 = $2"; }
  call() { cast call --rpc-url "$RPC" "$token" "$@"; }
  balance() { call "balanceOf(address)(uint256)" "$1" | cut -d' ' -f1; }
  allowance() { call "allowance(address,address)(uint256)" "$1" "$2" | cut -d' ' -f1; }
  supply() { call "totalSupply()(uint256)" | cut -d' ' -f1; }
  # Every balance, allowance and the supply the scenario touches, on one line.
  state() {
    echo "supply $(supply) holder $(balance "$HOLDER") bob $(balance "$BOB") spender $(balance "$SPENDER")" \
      "allow(holder,spender) $(allowance "$HOLDER" "$SPENDER") allow(bob,spender) $(allowance "$BOB" "$SPENDER")"
  }
  # The token's logs in a receipt: [{topics, data}] in order.
  logs_of() { jq -c --arg t "$token" '[.logs[] | select((.address | ascii_downcase) == $t) | {topics, data}]'; }
  one_log() { jq -nc --arg t0 "$1" --arg t1 "$(word address "$2")" --arg t2 "$(word address "$3")" \
    --arg d "$(word uint256 "$4")" '[{topics: [$t0, $t1, $t2], data: $d}]'; }
  # send KEY SIG ARGS...: mines the transaction; prints its receipt (JSON).
  send() { cast send --rpc-url "$RPC" --private-key "$1" --json "$token" "${@:2}"; }
  # returns FROM SIG ARGS...: the call's return value from eth_call.
  returns() { cast call --rpc-url "$RPC" --from "$1" "$token" "${@:2}"; }
  # revert_of FROM SIG ARGS...: the revert data of the call (eth_call), or
  # a failure when it does not revert. The exit code of cast is not used.
  revert_of() {
    local output
    output=$(cast call --rpc-url "$RPC" --from "$1" "$token" "${@:2}" 2>&1 || true)
    local data
    data=$(sed -n 's/.*execution reverted.*data: "\(0x[0-9a-fA-F]*\)".*/\1/p' <<<"$output" | head -n 1)
    [[ -n "$data" ]] || { echo "FAIL: $label: $2 did not revert: $output" >&2; exit 1; }
    lower <<<"$data"
  }
  # reverts NAME FROM SIG ARGS... -- ERROR ERROR-ARGS...: eth_call reverts
  # with exactly OpenZeppelin's error, and the state is unchanged.
  reverts() {
    local what="$1" from="$2" before
    shift 2
    local call_args=() error_args
    while [[ "$1" != -- ]]; do call_args+=("$1"); shift; done
    shift
    error_args=("$@")
    before=$(state)
    check "$what reverts with ${error_args[0]%%(*}" "$(revert_of "$from" "${call_args[@]}")" "$(oz_error "${error_args[@]}")"
    expect_eq "$label: state unchanged after $what" "$(state)" "$before"
  }

  echo "-- $label: metadata and the constructor's mint"
  check "name" "$(call "name()(string)")" "\"$NAME\""
  check "symbol" "$(call "symbol()(string)")" "\"$SYMBOL\""
  check "decimals" "$(call "decimals()(uint8)")" 18
  check "state after the constructor" "$(state)" \
    "supply $SUPPLY holder $SUPPLY bob 0 spender 0 allow(holder,spender) 0 allow(bob,spender) 0"
  check "the constructor's Transfer(0, holder, supply)" \
    "$(cast receipt --rpc-url "$RPC" --json "$deploy_tx" | logs_of)" "$(one_log "$TRANSFER" "$ZERO" "$HOLDER" "$SUPPLY")"

  echo "-- $label: transfer"
  check "transfer returns true" "$(returns "$HOLDER" "transfer(address,uint256)(bool)" "$BOB" 100)" true
  receipt=$(send "$HOLDER_KEY" "transfer(address,uint256)" "$BOB" 100)
  check "transfer status" "$(jq -r .status <<<"$receipt")" 0x1
  check "transfer emits Transfer(holder, bob, 100)" "$(logs_of <<<"$receipt")" "$(one_log "$TRANSFER" "$HOLDER" "$BOB" 100)"
  check "state after transfer" "$(state)" \
    "supply $SUPPLY holder 999999999999999999999900 bob 100 spender 0 allow(holder,spender) 0 allow(bob,spender) 0"
  receipt=$(send "$HOLDER_KEY" "transfer(address,uint256)" "$BOB" 0)
  check "a zero transfer emits Transfer(holder, bob, 0)" "$(logs_of <<<"$receipt")" "$(one_log "$TRANSFER" "$HOLDER" "$BOB" 0)"
  receipt=$(send "$BOB_KEY" "transfer(address,uint256)" "$BOB" 40)
  check "a transfer to oneself emits Transfer(bob, bob, 40)" "$(logs_of <<<"$receipt")" "$(one_log "$TRANSFER" "$BOB" "$BOB" 40)"
  check "state after the zero and self transfers" "$(state)" \
    "supply $SUPPLY holder 999999999999999999999900 bob 100 spender 0 allow(holder,spender) 0 allow(bob,spender) 0"

  echo "-- $label: approve and transferFrom"
  check "approve returns true" "$(returns "$HOLDER" "approve(address,uint256)(bool)" "$SPENDER" 50)" true
  receipt=$(send "$HOLDER_KEY" "approve(address,uint256)" "$SPENDER" 50)
  check "approve emits Approval(holder, spender, 50)" "$(logs_of <<<"$receipt")" "$(one_log "$APPROVAL" "$HOLDER" "$SPENDER" 50)"
  check "allowance after approve" "$(allowance "$HOLDER" "$SPENDER")" 50
  check "transferFrom returns true" \
    "$(returns "$SPENDER" "transferFrom(address,address,uint256)(bool)" "$HOLDER" "$BOB" 30)" true
  receipt=$(send "$SPENDER_KEY" "transferFrom(address,address,uint256)" "$HOLDER" "$BOB" 30)
  check "transferFrom emits only Transfer(holder, bob, 30) (no Approval)" \
    "$(logs_of <<<"$receipt")" "$(one_log "$TRANSFER" "$HOLDER" "$BOB" 30)"
  check "state after transferFrom" "$(state)" \
    "supply $SUPPLY holder 999999999999999999999870 bob 130 spender 0 allow(holder,spender) 20 allow(bob,spender) 0"

  echo "-- $label: errors (eth_call revert data), state unchanged"
  reverts "transfer above the balance" "$BOB" "transfer(address,uint256)" "$SPENDER" 131 \
    -- "ERC20InsufficientBalance(address,uint256,uint256)" "$BOB" 130 131
  reverts "transfer to address(0)" "$HOLDER" "transfer(address,uint256)" "$ZERO" 1 \
    -- "ERC20InvalidReceiver(address)" "$ZERO"
  reverts "approve of address(0)" "$HOLDER" "approve(address,uint256)" "$ZERO" 1 \
    -- "ERC20InvalidSpender(address)" "$ZERO"
  reverts "transferFrom above the allowance" "$SPENDER" "transferFrom(address,address,uint256)" "$HOLDER" "$BOB" 21 \
    -- "ERC20InsufficientAllowance(address,uint256,uint256)" "$SPENDER" 20 21
  reverts "transferFrom to address(0)" "$SPENDER" "transferFrom(address,address,uint256)" "$HOLDER" "$ZERO" 1 \
    -- "ERC20InvalidReceiver(address)" "$ZERO"
  reverts "transferFrom from address(0) of 1" "$SPENDER" "transferFrom(address,address,uint256)" "$ZERO" "$BOB" 1 \
    -- "ERC20InsufficientAllowance(address,uint256,uint256)" "$SPENDER" 0 1
  reverts "transferFrom from address(0) of 0" "$SPENDER" "transferFrom(address,address,uint256)" "$ZERO" "$BOB" 0 \
    -- "ERC20InvalidApprover(address)" "$ZERO"
  local estimate
  estimate=$(cast estimate --rpc-url "$RPC" --from "$BOB" "$token" "transfer(address,uint256)" "$SPENDER" 131 2>&1 || true)
  check "eth_estimateGas carries the same revert data" \
    "$(sed -n 's/.*data: "\(0x[0-9a-fA-F]*\)".*/\1/p' <<<"$estimate" | lower)" \
    "$(oz_error "ERC20InsufficientBalance(address,uint256,uint256)" "$BOB" 130 131)"

  echo "-- $label: mined reverted transactions change nothing"
  local before hash
  before=$(state)
  hash=$(cast send --rpc-url "$RPC" --private-key "$BOB_KEY" --async --gas-limit 1000000 "$token" \
    "transfer(address,uint256)" "$SPENDER" 131)
  receipt=$(cast receipt --rpc-url "$RPC" --json "$hash")
  check "a mined transfer above the balance fails" "$(jq -r .status <<<"$receipt")" 0x0
  check "and logs nothing" "$(jq -c '.logs' <<<"$receipt")" "[]"
  hash=$(cast send --rpc-url "$RPC" --private-key "$SPENDER_KEY" --async --gas-limit 1000000 "$token" \
    "transferFrom(address,address,uint256)" "$HOLDER" "$SPENDER" 21)
  receipt=$(cast receipt --rpc-url "$RPC" --json "$hash")
  check "a mined transferFrom above the allowance fails" "$(jq -r .status <<<"$receipt")" 0x0
  expect_eq "$label: state unchanged after the mined reverts" "$(state)" "$before"

  echo "-- $label: allowances overwrite; an infinite allowance is not spent"
  send "$HOLDER_KEY" "approve(address,uint256)" "$SPENDER" 7 >/dev/null
  check "approve overwrites the allowance (20 -> 7)" "$(allowance "$HOLDER" "$SPENDER")" 7
  receipt=$(send "$BOB_KEY" "approve(address,uint256)" "$SPENDER" "$MAX")
  check "approve(max) emits Approval(bob, spender, max)" "$(logs_of <<<"$receipt")" "$(one_log "$APPROVAL" "$BOB" "$SPENDER" "$MAX")"
  reverts "transferFrom above the balance with an infinite allowance" "$SPENDER" \
    "transferFrom(address,address,uint256)" "$BOB" "$SPENDER" 131 \
    -- "ERC20InsufficientBalance(address,uint256,uint256)" "$BOB" 130 131
  receipt=$(send "$SPENDER_KEY" "transferFrom(address,address,uint256)" "$BOB" "$SPENDER" 130)
  check "transferFrom with an infinite allowance emits only Transfer(bob, spender, 130)" \
    "$(logs_of <<<"$receipt")" "$(one_log "$TRANSFER" "$BOB" "$SPENDER" 130)"
  check "final state: the infinite allowance is unchanged" "$(state)" \
    "supply $SUPPLY holder 999999999999999999999870 bob 0 spender 130 allow(holder,spender) 7 allow(bob,spender) $MAX"
}

scenario stylus "$STYLUS" "$STYLUS_TX"
scenario solidity "$SOLIDITY" "$SOLIDITY_TX"

echo "-- the Stylus token against OpenZeppelin's Solidity ERC20"
if ! diff "$E2E_TMP/stylus.txt" "$E2E_TMP/solidity.txt"; then
  echo "FAIL: the transcripts differ (< Stylus, > Solidity)" >&2
  exit 1
fi
echo "ok: identical transcripts ($(wc -l <"$E2E_TMP/stylus.txt") observations)"
extra=$(cast call --rpc-url "$RPC" "$STYLUS" "supportsInterface(bytes4)(bool)" 0x36372b07)
expect_eq "Stylus token only: ERC-165 supportsInterface(IERC20 0x36372b07)" "$extra" true
expect_eq "Stylus token only: supportsInterface(IERC20Metadata 0xa219a025)" \
  "$(cast call --rpc-url "$RPC" "$STYLUS" "supportsInterface(bytes4)(bool)" 0xa219a025)" true
expect_eq "Stylus token only: supportsInterface(0xffffffff)" \
  "$(cast call --rpc-url "$RPC" "$STYLUS" "supportsInterface(bytes4)(bool)" 0xffffffff)" false
