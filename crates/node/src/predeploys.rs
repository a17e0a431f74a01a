//! Contracts placed in the state at genesis.

use alloy_primitives::{address, hex, Address, Bytes};

/// Arbitrum's `StylusDeployer` (deploy, activate and construct a Stylus
/// program in one transaction) at its canonical address, where
/// `cargo stylus deploy` sends a deployment with a constructor.
pub const STYLUS_DEPLOYER: Address = address!("cEcba2F1DC234f70Dd89F2041029807F8D03A990");

/// The `StylusDeployer` fixture compiled by `scripts/build-fixtures` from
/// npm `@arbitrum/nitro-contracts`, embedded at build time so the binary
/// runs from any directory.
const STYLUS_DEPLOYER_ARTIFACT: &str = include_str!("../../../tests/solidity/artifacts/StylusDeployer.json");

/// The runtime code of `StylusDeployer`.
///
/// # Panics
/// When the embedded artifact is not a `{ deployedBytecode }` artifact
/// (a broken build, caught by the tests).
pub fn stylus_deployer_code() -> Bytes {
    let artifact: serde_json::Value =
        serde_json::from_str(STYLUS_DEPLOYER_ARTIFACT).expect("StylusDeployer.json is JSON");
    let code = artifact["deployedBytecode"].as_str().expect("StylusDeployer.json has deployedBytecode");
    Bytes::from(hex::decode(code).expect("StylusDeployer.json deployedBytecode is hex"))
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
}
