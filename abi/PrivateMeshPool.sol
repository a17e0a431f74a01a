/**
 * The PrivateMeshPool's interface, printed by contracts/private-mesh-pool/src/main.rs
 * from the sol! declaration its dispatcher routes by. Deploy with constructor(address admin, address xau).
 */

// SPDX-License-Identifier: MIT-OR-APACHE-2.0
pragma solidity ^0.8.23;

interface IPrivateMeshPool {
    error AccessControlBadConfirmation();
    error AccessControlUnauthorizedAccount(address account, bytes32 neededRole);
    error ArithmeticOverflow();
    error BackendFailed(address backend);
    error BackendMismatch(address token, address backend);
    error BelowMinAmountOut(uint256 amountOut, uint256 minAmountOut);
    error ClockUnavailable();
    error EnforcedPause();
    error ExpectedPause();
    error OracleFailed(address token, address oracle);
    error OracleJumpTooLarge(address token, uint256 oraclePrice, uint256 effectivePrice);
    error ParameterOutOfRange(uint8 parameter, uint256 value, uint256 min, uint256 max);
    error ReserveBelowMinimum(address token, address asset, uint256 minimum);
    error SameToken(address token);
    error StaleOracle(address token, uint256 updatedAt);
    error TransferFailed(address token);
    error UnknownToken(address token);
    error UnsupportedToken(address token);
    error ZeroAddress();
    error ZeroAmount();

    event BackendSet(address indexed token, address indexed backend);
    event LegExecuted(address indexed token, address indexed backend, bool sellsToken, uint256 amountIn, uint256 amountOut, uint256 price);
    event LiquidityDeposited(address indexed token, address indexed provider, uint256 tokenAmount, uint256 xauAmount, uint256 tokenReserve, uint256 xauReserve);
    event LiquidityWithdrawn(address indexed token, address indexed provider, address indexed to, uint256 tokenAmount, uint256 xauAmount, uint256 tokenReserve, uint256 xauReserve);
    event Paused(address account);
    event PoolConfigured(address indexed token, address oracle, uint256 k, uint256 feeRate, uint256 minTokenReserve, uint256 minXauReserve, uint64 maxJumpBps, uint64 maxGapBps, uint64 maxOracleAge, bool created);
    event PriceObserved(address indexed token, uint256 price, uint256 oraclePrice, uint64 l2Block);
    event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender);
    event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender);
    event Swap(address indexed tokenIn, address indexed tokenOut, address indexed to, uint256 amountIn, uint256 amountOut);
    event Unpaused(address account);

    function deposit(address token, uint256 tokenAmount, uint256 xauAmount) external;
    function grantRole(bytes32 role, address account) external;
    function hasRole(bytes32 role, address account) external view returns (bool);
    function pause() external;
    function paused() external view returns (bool);
    function poke(address token) external returns (uint256 price);
    function poolCount() external view returns (uint256);
    function poolState(address token) external view returns (uint256 tokenReserve, uint256 xauReserve, uint256 tokenTarget, uint256 xauTarget, uint8 rState, uint256 price, uint256 observedPrice, uint64 observedBlock);
    function quote(address tokenIn, address tokenOut, uint256 amountIn) external view returns (uint256 amountOut);
    function registerPool(address token, address oracle, uint256 k, uint256 feeRate, uint256 minTokenReserve, uint256 minXauReserve, uint64 maxJumpBps, uint64 maxGapBps, uint64 maxOracleAge) external;
    function renounceRole(bytes32 role, address confirmation) external;
    function revokeRole(bytes32 role, address account) external;
    function setBackend(address token, address backend) external;
    function swap(address tokenIn, address tokenOut, uint256 amountIn, uint256 minAmountOut, address to) external returns (uint256 amountOut);
    function unpause() external;
    function withdraw(address token, uint256 tokenAmount, uint256 xauAmount, address to) external;
    function xau() external view returns (address);
}
