//! Contracts placed in the state at genesis.

use alloy_primitives::{address, hex, keccak256, Address, Bytes, U256};

/// Arbitrum's `StylusDeployer` (deploy, activate and construct a Stylus
/// program in one transaction) at its canonical address, where
/// `cargo stylus deploy` sends a deployment with a constructor.
pub const STYLUS_DEPLOYER: Address = address!("cEcba2F1DC234f70Dd89F2041029807F8D03A990");

/// Arbitrum's `CacheManager` (the bids for ArbOS's program cache) at its
/// address on Arbitrum One, where it sits behind a proxy and is ArbOS's
/// only cache manager (`ArbWasmCache.allCacheManagers()`, which is how
/// `cargo stylus cache` finds it). Arbitrum Sepolia's is
/// `0x0C9043D042aB52cFa8d0207459260040Cca54253`, nitro-testnode's
/// `0x0f1f89aaf1c6fdb7ff9d361e4388f5f3997f12a8`.
pub const CACHE_MANAGER: Address = address!("51dEDBD2f190E0696AFbEE5E60bFdE96d86464ec");

/// The cache size `CacheManager.initialize` is given at genesis: 512 MiB,
/// Nitro's deployment default (nitro-contracts `scripts/deploymentUtils.ts`
/// `INIT_CACHE_SIZE`).
pub const CACHE_SIZE: u64 = 536_870_912;

/// The bid decay per second `CacheManager.initialize` is given at genesis
/// (wei; nitro-contracts `INIT_DECAY`): a bid's standing falls behind a
/// later bid of the same value by this much per second.
pub const CACHE_DECAY: u64 = 10_322_197_911;

/// The `StylusDeployer` fixture compiled by `scripts/build-fixtures` from
/// npm `@arbitrum/nitro-contracts`, embedded at build time so the binary
/// runs from any directory.
const STYLUS_DEPLOYER_ARTIFACT: &str = include_str!("../../../tests/solidity/artifacts/StylusDeployer.json");

/// The `CacheManager` fixture, compiled the same way.
const CACHE_MANAGER_ARTIFACT: &str = include_str!("../../../tests/solidity/artifacts/CacheManager.json");

/// The runtime code of an embedded `{ deployedBytecode }` artifact.
///
/// # Panics
/// When the artifact is not one (a broken build, caught by the tests).
fn runtime_code(name: &str, artifact: &str) -> Bytes {
    let artifact: serde_json::Value =
        serde_json::from_str(artifact).unwrap_or_else(|e| panic!("{name}.json is not JSON: {e}"));
    let code = artifact["deployedBytecode"]
        .as_str()
        .unwrap_or_else(|| panic!("{name}.json has no deployedBytecode"));
    Bytes::from(hex::decode(code).unwrap_or_else(|e| panic!("{name}.json deployedBytecode is not hex: {e}")))
}

/// The runtime code of `StylusDeployer`.
pub fn stylus_deployer_code() -> Bytes {
    runtime_code("StylusDeployer", STYLUS_DEPLOYER_ARTIFACT)
}

/// The runtime code of `CacheManager`. Its one immutable, `__self`
/// (`DelegateCallAware`), is left as the compiler leaves it in runtime
/// code, zero: `onlyDelegated` (which guards `initialize`) holds at any
/// nonzero address, as it does for Arbitrum's proxy.
pub fn cache_manager_code() -> Bytes {
    runtime_code("CacheManager", CACHE_MANAGER_ARTIFACT)
}

/// The calldata of `CacheManager.initialize(uint64 initCacheSize, uint64 initDecay)`.
pub fn cache_manager_initialize() -> Vec<u8> {
    let mut data = keccak256("initialize(uint64,uint64)")[..4].to_vec();
    data.extend(U256::from(CACHE_SIZE).to_be_bytes::<32>());
    data.extend(U256::from(CACHE_DECAY).to_be_bytes::<32>());
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stylus_deployer_code_is_embedded() {
        let code = stylus_deployer_code();
        assert!(code.len() > 1_000, "{} bytes", code.len());
        // deploy(bytes,bytes,uint256,bytes32) is among its selectors.
        assert!(code.windows(4).any(|w| w == [0xa9, 0xa8, 0xe4, 0xe9]));
    }

    #[test]
    fn the_cache_manager_code_is_embedded() {
        let code = cache_manager_code();
        assert!(code.len() > 4_000 && code.len() <= 24_576, "{} bytes", code.len());
        // placeBid(address) is among its selectors.
        let place_bid = &keccak256("placeBid(address)")[..4];
        assert!(code.windows(4).any(|w| w == place_bid));
    }
}
