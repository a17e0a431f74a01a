//! The calls the keeper makes and the events it reads, declared from
//! `abi/Stabilizer.sol`, `abi/FlashContainment.sol` and the DODO-compatible
//! pool and oracle fixtures (`tests/solidity/src`), and the contracts'
//! errors by name.
#![allow(missing_docs, clippy::pub_underscore_fields)]

/// The Stabilizer (abi/Stabilizer.sol).
pub mod stab {
    alloy_sol_types::sol! {
        function KEEPER_ROLE() external view returns (bytes32);
        function hasRole(bytes32 role, address account) external view returns (bool);
        function contracts() external view returns (address[9] memory);
        function checkDeviation() external view returns (int256 deviationBps, bool shouldRebalance);
        function keeperTrade() external view returns (uint256 tradeSize, address tokenIn, address tokenOut, uint256 minAmountOut);
        #[derive(Debug)]
        function executePrivateSwap(uint256 tradeSize, address tokenIn, address tokenOut, uint256 minAmountOut);

        #[derive(Debug)]
        event Stabilized(address indexed pool, address indexed tokenIn, address indexed tokenOut, uint256 amountIn, uint256 amountOut, uint256 meshReturned, int256 twapDeviationBps, uint256 oraclePrice, uint256 midPriceBefore, uint256 midPriceAfter, uint64 l2Block);
    }

    /// Indices into `contracts()`: `(pool, baseToken, quoteToken,
    /// containment, mesh, reserveSizer, oracle, stablecoinPegManager,
    /// commodityPegManager)`.
    pub mod slot {
        pub const POOL: usize = 0;
        pub const BASE: usize = 1;
        pub const QUOTE: usize = 2;
        pub const CONTAINMENT: usize = 3;
        pub const ORACLE: usize = 6;
    }
}

/// FlashContainment (abi/FlashContainment.sol).
pub mod fc {
    alloy_sol_types::sol! {
        function POKER_ROLE() external view returns (bytes32);
        function hasRole(bytes32 role, address account) external view returns (bool);
        function poke(address pool) external returns (bool);
        function poolConfig(address pool) external view returns (address oracle, uint64 baseDecimals, uint64 quoteDecimals, uint64 thresholdBps, uint64 sustainBlocks, uint64 twapWindow, uint64 maxOracleAge, uint256 perBlockCap);

        #[derive(Debug)]
        event Observed(address indexed pool, uint64 indexed blockNumber, int32 deviationBps, int8 sign, uint64 streak, uint256 midPrice, uint256 oraclePrice);
    }
}

/// The public pool (DODO V2's views, as the `PmmPool` fixture has them).
pub mod dodo {
    alloy_sol_types::sol! {
        function getMidPrice() external view returns (uint256 midPrice);
        function getPMMStateForCall() external view returns (uint256 i, uint256 K, uint256 B, uint256 Q, uint256 B0, uint256 Q0, uint256 R);
        function getUserFeeRate(address user) external view returns (uint256 lpFeeRate, uint256 mtFeeRate);
        function querySellBase(address trader, uint256 payBaseAmount) external view returns (uint256 receiveQuoteAmount, uint256 mtFee, uint8 newRState, uint256 newBaseTarget);
        function querySellQuote(address trader, uint256 payQuoteAmount) external view returns (uint256 receiveBaseAmount, uint256 mtFee, uint8 newRState, uint256 newQuoteTarget);
    }
}

/// The pair oracle (quote per base, whole tokens, 1e18) and ERC-20 views.
pub mod feed {
    alloy_sol_types::sol! {
        function latestPrice() external view returns (uint256 price, uint256 updatedAt);
        function decimals() external view returns (uint8);
    }
}

/// The Stabilizer's errors (abi/Stabilizer.sol).
pub const STABILIZER_ERRORS: [&str; 28] = [
    "AccessControlUnauthorizedAccount(address,bytes32)",
    "AccessControlBadConfirmation()",
    "EnforcedPause()",
    "ExpectedPause()",
    "ZeroAddress()",
    "ParameterOutOfRange(uint8,uint256,uint256,uint256)",
    "OracleMismatch(address,address)",
    "ExternalCallFailed(address)",
    "CongestionGuard(uint256,uint256)",
    "UnknownTokenPair(address,address)",
    "DirectionDisabled(address)",
    "ZeroAmount()",
    "TooEarly(uint64,uint64)",
    "DeviationNotSustained(int256,uint64)",
    "SingleBlockSpike(int256)",
    "WrongDirection(int256,address)",
    "OracleFailed(address)",
    "StaleOracle(uint256,uint64)",
    "TokenOffPeg(address,int256)",
    "PegManagerDisagrees(int256,int256,int256)",
    "TradeTooLarge(uint256,uint256)",
    "PegOvershoot(uint256)",
    "ReserveReleaseRefused(address,uint256)",
    "InsufficientFloat(address,uint256,uint256)",
    "SlippageExceeded(uint256,uint256)",
    "TransferFailed(address)",
    "MeshSwapFailed(bytes)",
    "ClockUnavailable()",
];

/// The PrivateMeshPool's errors (abi/PrivateMeshPool.sol), to name the
/// reason inside a Stabilizer's `MeshSwapFailed(bytes)`.
pub const MESH_ERRORS: [&str; 20] = [
    "AccessControlBadConfirmation()",
    "AccessControlUnauthorizedAccount(address,bytes32)",
    "ArithmeticOverflow()",
    "BackendFailed(address)",
    "BackendMismatch(address,address)",
    "BelowMinAmountOut(uint256,uint256)",
    "ClockUnavailable()",
    "EnforcedPause()",
    "ExpectedPause()",
    "OracleFailed(address,address)",
    "OracleJumpTooLarge(address,uint256,uint256)",
    "ParameterOutOfRange(uint8,uint256,uint256,uint256)",
    "ReserveBelowMinimum(address,address,uint256)",
    "SameToken(address)",
    "StaleOracle(address,uint256)",
    "TransferFailed(address)",
    "UnknownToken(address)",
    "UnsupportedToken(address)",
    "ZeroAddress()",
    "ZeroAmount()",
];

/// FlashContainment's errors (abi/FlashContainment.sol), for its poke.
pub const CONTAINMENT_ERRORS: [&str; 17] = [
    "AccessControlUnauthorizedAccount(address,bytes32)",
    "AccessControlBadConfirmation()",
    "EnforcedPause()",
    "ExpectedPause()",
    "ZeroAddress()",
    "UnknownPool(address)",
    "PoolAlreadyRegistered(address)",
    "ParameterOutOfRange(uint8,uint256,uint256,uint256)",
    "ZeroAmount()",
    "WrongStabilizer(address,address,address)",
    "VolumeCapExceeded(address,uint256,uint256)",
    "InsufficientHistory(address)",
    "PoolCallFailed(address)",
    "OracleCallFailed(address)",
    "ZeroOraclePrice(address)",
    "StaleOracle(address,uint256,uint64)",
    "ArithmeticOverflow()",
];

fn lookup(table: &[&str], selector: &[u8]) -> Option<String> {
    table
        .iter()
        .find(|signature| alloy_primitives::keccak256(signature.as_bytes())[..4] == *selector)
        .map(|signature| signature.split('(').next().unwrap_or(signature).to_owned())
}

/// The name of a Stabilizer error from its revert data (`"revert …"` when
/// the data is not one of them); `MeshSwapFailed` names the mesh's own
/// error inside it.
pub fn error_name(data: &[u8]) -> String {
    let Some(selector) = data.get(..4) else { return "revert (no data)".to_owned() };
    let Some(name) = lookup(&STABILIZER_ERRORS, selector) else {
        return format!("revert 0x{}", alloy_primitives::hex::encode(selector));
    };
    if name == "MeshSwapFailed" {
        // selector ‖ offset ‖ length ‖ the mesh's revert data.
        if let Some(inner) = data.get(4 + 64..4 + 64 + 4) {
            let reason = lookup(&MESH_ERRORS, inner)
                .unwrap_or_else(|| format!("0x{}", alloy_primitives::hex::encode(inner)));
            return format!("MeshSwapFailed({reason})");
        }
    }
    name
}

/// The name of a FlashContainment error, then of a Stabilizer error, from
/// revert data (`"revert …"` when it is neither).
pub fn any_error_name(data: &[u8]) -> String {
    data.get(..4)
        .and_then(|selector| lookup(&CONTAINMENT_ERRORS, selector))
        .unwrap_or_else(|| error_name(data))
}
