//! The calls the simulator sends, declared from `abi/*.sol` and the
//! Solidity fixtures' sources (`tests/solidity/src`).
#![allow(missing_docs, clippy::pub_underscore_fields, clippy::too_many_arguments)]

/// The Stabilizer (abi/Stabilizer.sol).
pub mod stab {
    alloy_sol_types::sol! {
        function stylusConstructor(address admin);
        function checkDeviation() external view returns (int256 deviationBps, bool shouldRebalance);
        function keeperTrade() external view returns (uint256 tradeSize, address tokenIn, address tokenOut, uint256 minAmountOut);
        function executePrivateSwap(uint256 tradeSize, address tokenIn, address tokenOut, uint256 minAmountOut);
        function setContracts(address pool, address containment, address mesh, address reserveSizer, address oracle);
        function setParameters(uint64 minBlocks, uint256 k, uint64 maxSlippageBps, uint256 maxGasPrice, uint64 maxOracleAge);
        function setPegManagers(address stablecoinPegManager, address commodityPegManager, uint8 baseKind, uint8 quoteKind, uint64 maxPegDeviationBps);
        function grantRole(bytes32 role, address account);

        #[derive(Debug)]
        event Stabilized(address indexed pool, address indexed tokenIn, address indexed tokenOut, uint256 amountIn, uint256 amountOut, uint256 meshReturned, int256 twapDeviationBps, uint256 oraclePrice, uint256 midPriceBefore, uint256 midPriceAfter, uint64 l2Block);
    }
}

/// The public pool's quotes (DODO's `querySellBase`/`querySellQuote`).
pub mod dodo {
    alloy_sol_types::sol! {
        function querySellBase(address trader, uint256 payBaseAmount) external view returns (uint256 receiveQuoteAmount, uint256 mtFee, uint8 newRState, uint256 newBaseTarget);
        function querySellQuote(address trader, uint256 payQuoteAmount) external view returns (uint256 receiveBaseAmount, uint256 mtFee, uint8 newRState, uint256 newQuoteTarget);
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
        function pmmConstructor(address owner, address maintainer, address baseToken, address quoteToken, uint256 lpFeeRate, uint256 mtFeeRate, uint256 i, uint256 k, bool isOpenTWAP);
        function deposit(uint256 baseAmount, uint256 quoteAmount);
        function sellBase(address to) external returns (uint256);
        function sellQuote(address to) external returns (uint256);
        function getMidPrice() external view returns (uint256 midPrice);
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

/// The Stabilizer's errors by name, for the refusal counts of the report.
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
