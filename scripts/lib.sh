# Shared helpers for the project's scripts. Source it; do not run it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# rustc's output, and the same wasm after the Stylus.toml wasm-opt pass: the
# bytes cargo-stylus deploys (before its own strip and compression), which the
# tests and the size check use.
RAW_WASM_DIR="$ROOT/target/wasm32-unknown-unknown/release"
WASM_DIR="$ROOT/target/stylus"
BINARYEN_DIR="$ROOT/scripts/binaryen"

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

# The wasm file of a package after scripts/build-wasm (optimised).
contract_wasm() {
  printf '%s/%s.wasm\n' "$WASM_DIR" "${1//-/_}"
}

# rustc's wasm of a package, before the wasm-opt pass.
contract_raw_wasm() {
  printf '%s/%s.wasm\n' "$RAW_WASM_DIR" "${1//-/_}"
}

# Puts the pinned wasm-opt (scripts/binaryen, npm) on PATH, installing it
# with `npm ci` when missing; cargo-stylus runs it from PATH as well.
use_wasm_opt() {
  if [[ ! -x "$BINARYEN_DIR/node_modules/.bin/wasm-opt" ]]; then
    (cd "$BINARYEN_DIR" && npm ci --ignore-scripts --no-audit --no-fund >&2)
  fi
  export PATH="$BINARYEN_DIR/node_modules/.bin:$PATH"
}

# The wasm-opt flags of the workspace Stylus.toml, one per line.
wasm_opt_flags() {
  python3 -c 'import sys, tomllib; print("\n".join(tomllib.load(open(sys.argv[1], "rb"))["wasm-opt"]["flags"]))' "$ROOT/Stylus.toml"
}

# Puts Foundry's cast and anvil (scripts/foundry, npm @foundry-rs 1.7.1,
# prebuilt) on PATH, installing them with `npm ci` when missing. The
# platform binaries themselves, not npm's bin.mjs wrappers: those exit 0
# when the tool fails.
FOUNDRY_DIR="$ROOT/scripts/foundry"
use_foundry() {
  local arch dir tool
  case "$(uname -m)" in
    x86_64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "no prebuilt Foundry binaries for $(uname -m)" >&2; return 1 ;;
  esac
  for tool in cast anvil; do
    dir="$FOUNDRY_DIR/node_modules/@foundry-rs/$tool-$(uname -s | tr '[:upper:]' '[:lower:]')-$arch/bin"
    if [[ ! -x "$dir/$tool" ]]; then
      (cd "$FOUNDRY_DIR" && npm ci --ignore-scripts --no-audit --no-fund >&2)
    fi
    [[ -x "$dir/$tool" ]] || { echo "npm did not install $dir/$tool" >&2; return 1; }
    export PATH="$dir:$PATH"
  done
}

# Puts cargo-stylus 0.10.10 (target/tools) on PATH, installing it when
# missing (about 7.5 min on 2 cores, once while target/ is kept).
use_cargo_stylus() {
  if ! "$ROOT/target/tools/bin/cargo-stylus" stylus --version 2>/dev/null | grep -q "0.10.10"; then
    cargo install cargo-stylus --version 0.10.10 --locked --root "$ROOT/target/tools" >&2
  fi
  export PATH="$ROOT/target/tools/bin:$PATH"
}
