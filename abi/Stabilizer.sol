/**
 * The Stabilizer's interface (App. A), printed by contracts/stabilizer/src/main.rs
 * from the sol! declaration its dispatcher routes by. Deploy with constructor(address admin).
 */

// SPDX-License-Identifier: MIT-OR-APACHE-2.0
pragma solidity ^0.8.23;

interface IStabilizer {
    error AccessControlBadConfirmation();
    error AccessControlUnauthorizedAccount(address account, bytes32 neededRole);
    error ArithmeticOverflow();
    error ClockUnavailable();
    error CongestionGuard(uint256 gasPrice, uint256 maxGasPrice);
    error DeviationNotSustained(int256 deviationBps, uint64 streak);
    error DirectionDisabled(address tokenIn);
    error EnforcedPause();
    error ExpectedPause();
    error ExternalCallFailed(address target);
    error InsufficientFloat(address token, uint256 balance, uint256 needed);
    error MeshSwapFailed(bytes reason);
    error OracleFailed(address oracle);
    error OracleMismatch(address oracle, address registered);
    error ParameterOutOfRange(uint8 parameter, uint256 value, uint256 min, uint256 max);
    error PegManagerDisagrees(int256 poolDeviationBps, int256 baseDeviationBps, int256 quoteDeviationBps);
    error PegOvershoot(uint256 tradeSize);
    error ReserveReleaseRefused(address token, uint256 amount);
    error SingleBlockSpike(int256 deviationBps);
    error SlippageExceeded(uint256 amountOut, uint256 minAmountOut);
    error StaleOracle(uint256 updatedAt, uint64 maxOracleAge);
    error TokenOffPeg(address token, int256 deviationBps);
    error TooEarly(uint64 l2Block, uint64 nextAllowedBlock);
    error TradeTooLarge(uint256 tradeSize, uint256 maxTradeSize);
    error TransferFailed(address token);
    error UnknownTokenPair(address tokenIn, address tokenOut);
    error WrongDirection(int256 deviationBps, address tokenIn);
    error ZeroAddress();
    error ZeroAmount();

    event ContractsSet(address indexed pool, address baseToken, address quoteToken, address containment, address mesh, address reserveSizer, address oracle);
    event DirectionSet(address indexed tokenIn, bool enabled, address account);
    event ParametersSet(uint64 minBlocks, uint256 k, uint64 maxSlippageBps, uint256 maxGasPrice, uint64 maxOracleAge);
    event Paused(address account);
    event PegManagersSet(address stablecoinPegManager, address commodityPegManager, uint8 baseKind, uint8 quoteKind, uint64 maxPegDeviationBps);
    event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender);
    event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender);
    event Stabilized(address indexed pool, address indexed tokenIn, address indexed tokenOut, uint256 amountIn, uint256 amountOut, uint256 meshReturned, int256 twapDeviationBps, uint256 oraclePrice, uint256 midPriceBefore, uint256 midPriceAfter, uint64 l2Block);
    event Unpaused(address account);

    function GUARDIAN_ROLE() external view returns (bytes32);
    function KEEPER_ROLE() external view returns (bytes32);
    function checkDeviation() external view returns (int256 deviationBps, bool shouldRebalance);
    function contracts() external view returns (address[9] memory);
    function executePrivateSwap(uint256 tradeSize, address tokenIn, address tokenOut) external;
    function executePrivateSwap(uint256 tradeSize, address tokenIn, address tokenOut, uint256 minAmountOut) external;
    function grantRole(bytes32 role, address account) external;
    function hasRole(bytes32 role, address account) external view returns (bool);
    function keeperTrade() external view returns (uint256 tradeSize, address tokenIn, address tokenOut, uint256 minAmountOut);
    function parameters() external view returns (uint256[11] memory);
    function pause() external;
    function paused() external view returns (bool);
    function renounceRole(bytes32 role, address confirmation) external;
    function revokeRole(bytes32 role, address account) external;
    function setContracts(address pool, address containment, address mesh, address reserveSizer, address oracle) external;
    function setDirectionEnabled(address tokenIn, bool enabled) external;
    function setParameters(uint64 minBlocks, uint256 k, uint64 maxSlippageBps, uint256 maxGasPrice, uint64 maxOracleAge) external;
    function setPegManagers(address stablecoinPegManager, address commodityPegManager, uint8 baseKind, uint8 quoteKind, uint64 maxPegDeviationBps) external;
    function unpause() external;
}
