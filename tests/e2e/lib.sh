# Shared by the real-process tests in tests/e2e (run by scripts/e2e). Source
# it; do not run it. Every test starts its own vault-node on a free
# 127.0.0.1 port and stops it on exit.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/lib.sh"

# The built node (scripts/e2e builds it; VAULT_NODE overrides).
VAULT_NODE="${VAULT_NODE:-$ROOT/target/debug/vault-node}"

# anvil's public dev accounts (default mnemonic), as vault-node funds them.
DEV_ADDRESSES=(
  0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
  0x70997970C51812dc3A010C7d01b50e0d17dc79C8
  0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC
  0x90F79bf6EB2c4f870365E785982E1f101E93b906
)
DEV_KEYS=(
  0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
  0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
  0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a
  0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6
)

E2E_PIDS=()
E2E_TMP="$(mktemp -d)"
e2e_cleanup() {
  local pid
  for pid in "${E2E_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${E2E_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  # E2E_KEEP=1 keeps the logs, configurations and chain files.
  if [[ "${E2E_KEEP:-0}" == 1 ]]; then
    echo "kept: $E2E_TMP" >&2
  else
    rm -rf "$E2E_TMP"
  fi
}
trap e2e_cleanup EXIT

# A port nothing listens on.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_node VAR [flags...]: starts vault-node on a free port with the flags,
# waits until it answers, and sets VAR to its URL. Its log is $E2E_TMP/<port>.log.
start_node() {
  local var="$1" port url i
  shift
  port="$(free_port)"
  url="http://127.0.0.1:$port"
  "$VAULT_NODE" --port "$port" "$@" >"$E2E_TMP/$port.log" 2>&1 &
  E2E_PIDS+=("$!")
  for i in $(seq 1 100); do
    if cast chain-id --rpc-url "$url" >/dev/null 2>&1; then
      printf -v "$var" '%s' "$url"
      return 0
    fi
    sleep 0.1
  done
  echo "vault-node did not answer on $url:" >&2
  cat "$E2E_TMP/$port.log" >&2
  return 1
}

# expect_eq WHAT ACTUAL EXPECTED: fails the test with a message unless equal.
expect_eq() {
  if [[ "$2" != "$3" ]]; then
    echo "FAIL: $1: got '$2', expected '$3'" >&2
    exit 1
  fi
  echo "ok: $1"
}

# network_chain_id NETWORK: the chain id in a network file.
network_chain_id() {
  python3 -c 'import sys,tomllib; print(tomllib.load(open(sys.argv[1],"rb"))["network"]["chain_id"])' "$ROOT/$1"
}

# deployed_chain CHAIN RECORD [NETWORK]: writes to CHAIN a saved chain (a
# --state file) on which NETWORK (default scripts/networks/local.toml) is
# deployed, and its deployment record to RECORD. The first call for a
# network in a scripts/e2e run deploys it for real (scripts/deploy onto a
# fresh node, saved on its exit) into $E2E_CACHE; later calls copy that.
deployed_chain() {
  local chain="$1" record="$2" network="${3:-scripts/networks/local.toml}" name cache pid start
  name="$(basename "$network" .toml)"
  cache="${E2E_CACHE:-$E2E_TMP/cache}"
  mkdir -p "$cache"
  if [[ ! -f "$cache/$name.json" ]]; then
    start_node DEPLOY_RPC --chain-id "$(network_chain_id "$network")" --state "$cache/$name.json"
    pid=${E2E_PIDS[-1]}
    start=$SECONDS
    "$ROOT/scripts/deploy" "$network" --rpc-url "$DEPLOY_RPC" --record "$cache/$name-record.json" \
      >"$cache/$name-deploy.log" 2>&1 || { cat "$cache/$name-deploy.log" >&2; echo "FAIL: deploy $network" >&2; return 1; }
    kill -TERM "$pid"
    wait "$pid" || true
    [[ -f "$cache/$name.json" ]] || { echo "FAIL: the node saved no chain" >&2; return 1; }
    echo "ok: deployed $network in $((SECONDS - start)) s (kept for this run's other tests)"
  fi
  cp "$cache/$name.json" "$chain"
  cp "$cache/$name-record.json" "$record"
}

# deployed_node VAR RECORD [NETWORK] [flags...]: start_node VAR with the
# flags on a copy of deployed_chain's chain (saved to $E2E_TMP/<VAR>.json on
# the node's exit, for a restart), its record copied to RECORD.
deployed_node() {
  local var="$1" record="$2" network=scripts/networks/local.toml
  shift 2
  if [[ $# -gt 0 && "$1" != --* ]]; then network="$1"; shift; fi
  deployed_chain "$E2E_TMP/$var.json" "$record" "$network"
  start_node "$var" --chain-id "$(network_chain_id "$network")" --state "$E2E_TMP/$var.json" "$@"
}
