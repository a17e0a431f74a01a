//! The calls the simulator sends, declared from `abi/*.sol` and the
//! Solidity fixtures' sources (`tests/solidity/src`); the keeper's own
//! calls, events and error names come from `vault_keeper::abi`.
#![allow(missing_docs, clippy::pub_underscore_fields, clippy::too_many_arguments)]

/// The Stabilizer (abi/Stabilizer.sol).
pub mod stab {
    pub use vault_keeper::abi::stab::{executePrivateSwapCall, Stabilized};

    alloy_sol_types::sol! {
        function stylusConstructor(address admin);
        function setContracts(address pool, address containment, address mesh, address reserveSizer, address oracle);
        function setParameters(uint64 minBlocks, uint256 k, uint64 maxSlippageBps, uint256 maxGasPrice, uint64 maxOracleAge);
        function setPegManagers(address stablecoinPegManager, address commodityPegManager, uint8 baseKind, uint8 quoteKind, uint64 maxPegDeviationBps);
        function grantRole(bytes32 role, address account);
    }
}

/// FlashContainment (abi/FlashContainment.sol).
pub mod fc {
    alloy_sol_types::sol! {
        function registerPool(address pool, address oracle, uint64 baseDecimals, uint64 quoteDecimals, uint64 thresholdBps, uint64 sustainBlocks, uint64 twapWindow, uint64 maxOracleAge, uint256 perBlockCap);
        function poke(address pool) external returns (bool);
        function grantRole(bytes32 role, address account);
        function bindStabilizer(address pool, address stabilizer) external;
        function stabilizerOf(address pool) external view returns (address);

        #[derive(Debug)]
        event Observed(address indexed pool, uint64 indexed blockNumber, int32 deviationBps, int8 sign, uint64 streak, uint256 midPrice, uint256 oraclePrice);
    }
}

/// PrivateMeshPool (abi/PrivateMeshPool.sol).
pub mod mesh {
    alloy_sol_types::sol! {
        function stylusConstructor(address admin, address xau);
        function registerPool(address token, address oracle, uint256 k, uint256 feeRate, uint256 minTokenReserve, uint256 minXauReserve, uint64 maxJumpBps, uint64 maxGapBps, uint64 maxOracleAge);
        function deposit(address token, uint256 tokenAmount, uint256 xauAmount);
        function withdraw(address token, uint256 tokenAmount, uint256 xauAmount, address to);
        function grantRole(bytes32 role, address account);
        function poolState(address token) external view returns (uint256 tokenReserve, uint256 xauReserve, uint256 tokenTarget, uint256 xauTarget, uint8 rState, uint256 price, uint256 observedPrice, uint64 observedBlock);
    }
}

/// ReserveSizer (abi/ReserveSizer.sol).
pub mod sizer {
    alloy_sol_types::sol! {
        function configureAsset(address asset, address holder, address bridgeHolder, uint64 windowMinutes, uint64 safetyBps, uint64 bridgeLatencySeconds, uint64 peakWindowMinutes);
        function recordOutflow(address asset, uint256 amount);
        function recordRelease(address asset, uint256 amount);

        #[derive(Debug)]
        event ReleaseRecorded(address indexed asset, address indexed reporter, uint256 amount, uint256 reserve, uint256 required);
        function requiredReserve(address asset) external view returns (uint256);
        function grantRole(bytes32 role, address account);
    }
}

/// Solidity fixtures (tests/solidity/src).
pub mod fx {
    alloy_sol_types::sol! {
        function tokenConstructor(string name, string symbol, uint8 decimals, address holder, uint256 supply);
        function approve(address spender, uint256 amount) external returns (bool);
        function transfer(address to, uint256 amount) external returns (bool);
        function balanceOf(address account) external view returns (uint256);
        function dspConstructor(address maintainer, address baseTokenAddress, address quoteTokenAddress, uint256 lpFeeRate, address mtFeeRateModel, uint256 i, uint256 k, bool isOpenTWAP);
        function feeRateModelConstructor(address owner, uint256 defaultRate);
        function buyShares(address to) external returns (uint256 shares, uint256 baseInput, uint256 quoteInput);
        function sellBase(address to) external returns (uint256);
        function sellQuote(address to) external returns (uint256);
        function getMidPrice() external view returns (uint256 midPrice);
        function querySellBase(address trader, uint256 payBaseAmount) external view returns (uint256 receiveQuoteAmount, uint256 mtFee, uint8 newRState, uint256 newBaseTarget);
        function querySellQuote(address trader, uint256 payQuoteAmount) external view returns (uint256 receiveBaseAmount, uint256 mtFee, uint8 newRState, uint256 newQuoteTarget);
        function getPMMStateForCall() external view returns (uint256 i, uint256 K, uint256 B, uint256 Q, uint256 B0, uint256 Q0, uint256 R);
        function oracleConstructor(address owner, uint256 initialPrice);
        function setPrice(uint256 price);
        function latestPrice() external view returns (uint256 price, uint256 updatedAt);
        function attackerConstructor(address owner);
        function attack(address lender, uint256 borrowBase, uint256 borrowQuote, address pool, bool sellBaseFirst, uint256 amountIn, address target, bytes targetData) external returns (int256, int256);
        function pegManagerConstructor(address owner, uint256 pegBandBps);
        function setDeviationBps(address asset, int256 deviationBps);
    }
}

/// The Stabilizer's errors by name (for the refusal counts of the report),
/// as the keeper names them.
pub use vault_keeper::abi::{error_name, MESH_ERRORS, STABILIZER_ERRORS};
