# Shared helpers for the project's scripts. Source it; do not run it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WASM_DIR="$ROOT/target/wasm32-unknown-unknown/release"

# Package names of the contracts, one per directory under contracts/.
contract_packages() {
  local manifest
  for manifest in "$ROOT"/contracts/*/Cargo.toml; do
    sed -n 's/^name = "\(.*\)"$/\1/p' "$manifest" | head -n 1
  done
}

# The Solidity-style name of a package: reserve-sizer -> ReserveSizer.
contract_name() {
  local part name=""
  IFS='-' read -ra parts <<< "$1"
  for part in "${parts[@]}"; do name+="${part^}"; done
  printf '%s\n' "$name"
}

# The wasm file of a package after scripts/build-wasm.
contract_wasm() {
  printf '%s/%s.wasm\n' "$WASM_DIR" "${1//-/_}"
}
