// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

import {PmmMath, PMMState, SellOutcome} from "./lib/PmmMath.sol";

/// @title PmmMathHarness
/// @notice Test fixture: exposes the Solidity PMM math that `PmmPool` prices
/// with, one function per function of crates/math/src/pmm.rs, so a property
/// test can compare the two on raw states without tokens or pools. Every
/// function is pure; a refusal reverts with `MathOverflow`, `MathUnderflow`,
/// `MathDivisionByZero` or `MathInvalidInput`, the `MathError` variant the
/// Rust function returns.
contract PmmMathHarness {
    /// @notice crates/math `general_integrate`.
    function generalIntegrate(uint256 v0, uint256 v1, uint256 v2, uint256 i, uint256 k)
        external
        pure
        returns (uint256)
    {
        return PmmMath.generalIntegrate(v0, v1, v2, i, k);
    }

    /// @notice crates/math `solve_quadratic_for_trade`.
    function solveQuadraticForTrade(uint256 v0, uint256 v1, uint256 delta, uint256 i, uint256 k)
        external
        pure
        returns (uint256)
    {
        return PmmMath.solveQuadraticForTrade(v0, v1, delta, i, k);
    }

    /// @notice crates/math `solve_quadratic_for_target`.
    function solveQuadraticForTarget(uint256 v1, uint256 delta, uint256 i, uint256 k)
        external
        pure
        returns (uint256)
    {
        return PmmMath.solveQuadraticForTarget(v1, delta, i, k);
    }

    /// @notice crates/math `adjusted_target`.
    function adjustedTarget(PMMState memory state) external pure returns (PMMState memory) {
        return PmmMath.adjustedTarget(state);
    }

    /// @notice crates/math `mid_price`.
    function midPrice(PMMState memory state) external pure returns (uint256) {
        return PmmMath.midPrice(state);
    }

    /// @notice crates/math `back_to_one_pay`.
    function backToOnePay(PMMState memory state) external pure returns (uint256) {
        return PmmMath.backToOnePay(state);
    }

    /// @notice crates/math `sell_base`.
    function sellBase(PMMState memory state, uint256 amount, uint256 lpFeeRate, uint256 mtFeeRate)
        external
        pure
        returns (uint256 receiveAmount, uint256 lpFee, uint256 mtFee, PMMState memory newState)
    {
        SellOutcome memory o = PmmMath.sellBase(state, amount, lpFeeRate, mtFeeRate);
        return (o.receiveAmount, o.lpFee, o.mtFee, o.newState);
    }

    /// @notice crates/math `sell_quote`.
    function sellQuote(PMMState memory state, uint256 amount, uint256 lpFeeRate, uint256 mtFeeRate)
        external
        pure
        returns (uint256 receiveAmount, uint256 lpFee, uint256 mtFee, PMMState memory newState)
    {
        SellOutcome memory o = PmmMath.sellQuote(state, amount, lpFeeRate, mtFeeRate);
        return (o.receiveAmount, o.lpFee, o.mtFee, o.newState);
    }
}
