// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

import {MathOverflow, MathUnderflow, MathDivisionByZero, MathInvalidInput} from "./MathErrors.sol";
import {U512, Wide} from "./Wide.sol";

/// @notice DODO's R state. The numbering is DODO's: ONE = 0, ABOVE_ONE = 1,
/// BELOW_ONE = 2 (`RState::One`, `AboveOne`, `BelowOne` in crates/math).
enum RState {
    ONE,
    ABOVE_ONE,
    BELOW_ONE
}

/// @notice A pool's pricing state, in the order and with the names of
/// DODO's `PMMState` (`getPMMState`).
struct PMMState {
    uint256 i;
    uint256 K;
    uint256 B;
    uint256 Q;
    uint256 B0;
    uint256 Q0;
    RState R;
}

/// @notice Result of one sell.
struct SellOutcome {
    /// @dev What the trader receives after both fees (rounded down).
    uint256 receiveAmount;
    /// @dev LP fee; stays in the pool.
    uint256 lpFee;
    /// @dev Maintainer fee; leaves the pool.
    uint256 mtFee;
    /// @dev The regularised target of the input side before the trade (what
    /// DODO's query functions return as `newBaseTarget` / `newQuoteTarget`);
    /// the stored target for a zero amount, which computes nothing.
    uint256 inputSideTarget;
    /// @dev Pool state after the trade.
    PMMState newState;
}

/// @title PmmMath
/// @notice DODO V2 PMM pricing, written from DODO's published formulas, with
/// the rounding of crates/math/src/pmm.rs operation for operation so that the
/// two agree to the wei (and refuse the same inputs, with the matching
/// `Math*` error):
///
/// - the curve: `P = i(1 - k + k(B0/B)^2)` when base is short (R above one),
///   `P = i / (1 - k + k(Q0/Q)^2)` when quote is short (R below one), `P = i`
///   at R = one;
/// - `generalIntegrate`: the area under the curve between two reserves
///   (a payout: rounded down, in two floored terms);
/// - `solveQuadraticForTrade`: the root `V2` of the integral for a given
///   input, rounded up so the payout `V1 - V2` is rounded down;
/// - target regularisation: the short side's target from its reserve and the
///   other side's excess, bracketed by a lower and an upper integer bound;
///   the bound that pays the trader less is used;
/// - fees from the curve output: total `ceil(out(lp + mt))`, maintainer
///   `floor(out * mt)`, LP the rest, trader `out - total`;
/// - the quote-side price `1/i` kept as the exact fraction `1e18 / i`.
///
/// Intermediates are 512 bits wide (`Wide`), as in the Rust crate.
library PmmMath {
    using Wide for U512;

    uint256 internal constant ONE = 1e18;

    // ---------------------------------------------------------------- helpers

    function _w(uint256 x) private pure returns (U512 memory) {
        return U512(0, x);
    }

    function _checkK(uint256 k) private pure {
        if (k > ONE) revert MathInvalidInput();
    }

    function _checkI(uint256 i) private pure {
        if (i == 0) revert MathInvalidInput();
    }

    function _add(uint256 a, uint256 b) private pure returns (uint256) {
        unchecked {
            uint256 c = a + b;
            if (c < a) revert MathOverflow();
            return c;
        }
    }

    function _sub(uint256 a, uint256 b) private pure returns (uint256) {
        if (b > a) revert MathUnderflow();
        unchecked {
            return a - b;
        }
    }

    function _mul(uint256 a, uint256 b) private pure returns (uint256) {
        if (a == 0) return 0;
        unchecked {
            uint256 c = a * b;
            if (c / a != b) revert MathOverflow();
            return c;
        }
    }

    /// @dev `floor(a * b / d)` with the product in 256 bits (crates/math `fixed`).
    function _mulDivFloor(uint256 a, uint256 b, uint256 d) private pure returns (uint256) {
        if (d == 0) revert MathDivisionByZero();
        return _mul(a, b) / d;
    }

    /// @dev `ceil(a * b / d)` with the product in 256 bits.
    function _mulDivCeil(uint256 a, uint256 b, uint256 d) private pure returns (uint256) {
        uint256 p = _mul(a, b);
        if (d == 0) revert MathDivisionByZero();
        uint256 q = p / d;
        return p % d == 0 ? q : _add(q, 1);
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }

    /// @dev `delta * pNum * 1e18 / pDen`, floor or ceil.
    function _scaledValue(uint256 delta, uint256 pNum, uint256 pDen, bool up) private pure returns (U512 memory) {
        U512 memory num = _w(delta).mul(_w(pNum)).mul(_w(ONE));
        return up ? num.divCeil(_w(pDen)) : num.divFloor(_w(pDen));
    }

    // ------------------------------------------------------- curve formulas

    /// @dev Mirrors `general_integrate_p`.
    function _generalIntegrate(uint256 v0, uint256 v1, uint256 v2, uint256 pNum, uint256 pDen, uint256 k)
        private
        pure
        returns (uint256)
    {
        _checkK(k);
        if (pNum == 0 || pDen == 0 || v2 == 0 || v1 < v2 || v0 < v1) revert MathInvalidInput();
        U512 memory width = _w(v1 - v2);
        if (width.isZero()) return 0;
        // Both terms start from p d (a 512-bit product of two words: exact).
        U512 memory wp = width.mul(_w(pNum));
        // p d (1 - k): floor, part of a payout.
        U512 memory term1 = wp.mul(_w(ONE).sub(_w(k))).divFloor(_w(pDen).mul(_w(ONE)));
        return term1.add(_integrateTerm2(wp, pDen, k, v0, v1, v2)).narrow();
    }

    /// @dev `p d k V0^2 / (V1 V2)` in two floored steps (both only shrink
    /// the payout), from `wp = p d`. Part of `general_integrate_p`.
    function _integrateTerm2(U512 memory wp, uint256 pDen, uint256 k, uint256 v0, uint256 v1, uint256 v2)
        private
        pure
        returns (U512 memory)
    {
        U512 memory num = wp.mul(_w(k));
        num = num.mul(_w(v0));
        U512 memory step = num.divFloor(_w(pDen).mul(_w(v1)));
        return step.mul(_w(v0)).divFloor(_w(v2).mul(_w(ONE)));
    }

    /// @dev Mirrors `solve_trade_p`.
    function _solveTrade(uint256 v0, uint256 v1, uint256 delta, uint256 pNum, uint256 pDen, uint256 k)
        private
        pure
        returns (uint256)
    {
        _checkK(k);
        if (v0 == 0 || pNum == 0 || pDen == 0) revert MathInvalidInput();
        if (delta == 0 || v1 == 0) return 0;
        // D 1e18, floored: a smaller D means a larger V2, i.e. a smaller payout.
        U512 memory dS = _scaledValue(delta, pNum, pDen, false);
        if (k == 0) {
            // Constant price: out = D, capped at the reserve as DODO does.
            return dS.divFloor(_w(ONE)).min(_w(v1)).narrow();
        }
        U512 memory v2 = _rootV2(v0, v1, dS, _w(k));
        // V2 rounded up, so V1 - V2 (the payout) is rounded down.
        return _w(v1).saturatingSub(v2).narrow();
    }

    /// @dev The root `V2` of `(1-k)V2^2 + b V2 - k V0^2 = 0` with
    /// `b = k V0^2/V1 + D - (1-k)V1` (all scaled by 1e18), rounded up; `b`
    /// is taken from below. Part of `solve_trade_p`.
    function _rootV2(uint256 v0, uint256 v1, U512 memory dS, U512 memory kk) private pure returns (U512 memory) {
        U512 memory s = _w(ONE);
        U512 memory kv0sq = kk.mul(_w(v0).mul(_w(v0)));
        U512 memory bPos = kv0sq.divFloor(_w(v1)).add(dS);
        U512 memory bNeg = s.sub(kk).mul(_w(v1));
        U512 memory fourAc = _w(4).mul(s.sub(kk)).mul(kv0sq);
        if (bPos.gt(bNeg)) {
            // V2 = 2k V0^2 / (b + sqrt(b^2 + 4(1-k)k V0^2)): floor root, ceil division.
            U512 memory b = bPos.sub(bNeg);
            U512 memory den = b.add(b.mul(b).add(fourAc).sqrtFloor());
            return _w(2).mul(kv0sq).divCeil(den);
        }
        // b <= 0: V2 = (|b| + sqrt(b^2 + 4(1-k)k V0^2)) / (2(1-k)): ceil root, ceil division.
        U512 memory nb = bNeg.sub(bPos);
        U512 memory num = nb.add(nb.mul(nb).add(fourAc).sqrtCeil());
        return num.divCeil(_w(2).mul(s.sub(kk)));
    }

    /// @dev Mirrors `target_excess`: `y * scale` with `V0 = V1 + y`.
    function _targetExcess(uint256 v1, U512 memory dS, uint256 k, bool up, U512 memory scale)
        private
        pure
        returns (U512 memory)
    {
        U512 memory s = _w(ONE);
        U512 memory v1w = _w(v1);
        U512 memory sV1 = s.mul(v1w);
        U512 memory num = _w(2).mul(dS).mul(v1w).mul(scale);
        U512 memory inner = sV1.mul(sV1).add(_w(4).mul(_w(k)).mul(dS).mul(v1w));
        if (up) {
            return num.divCeil(sV1.add(inner.sqrtFloor()));
        }
        return num.divFloor(sV1.add(inner.sqrtCeil()));
    }

    /// @dev Mirrors `target_bounds`: lower and upper bound on the target.
    function _targetBounds(uint256 v1, uint256 delta, uint256 pNum, uint256 pDen, uint256 k)
        private
        pure
        returns (uint256 lo, uint256 hi)
    {
        _checkK(k);
        if (pNum == 0 || pDen == 0) revert MathInvalidInput();
        if (delta == 0) return (v1, v1);
        if (v1 == 0) revert MathInvalidInput();
        U512 memory one = _w(1);
        U512 memory yLo = _targetExcess(v1, _scaledValue(delta, pNum, pDen, false), k, false, one);
        U512 memory yHi = _targetExcess(v1, _scaledValue(delta, pNum, pDen, true), k, true, one);
        lo = _w(v1).add(yLo).narrow();
        hi = _w(v1).add(yHi).narrow();
    }

    /// @notice Area under the base-side curve with target `v0` between the
    /// reserves `v2` and `v1`, rounded down (crates/math `general_integrate`).
    function generalIntegrate(uint256 v0, uint256 v1, uint256 v2, uint256 i, uint256 k)
        internal
        pure
        returns (uint256)
    {
        _checkI(i);
        return _generalIntegrate(v0, v1, v2, i, ONE, k);
    }

    /// @notice Payout for selling `delta` into the curve with target `v0`
    /// and reserve `v1`, rounded down (crates/math `solve_quadratic_for_trade`).
    function solveQuadraticForTrade(uint256 v0, uint256 v1, uint256 delta, uint256 i, uint256 k)
        internal
        pure
        returns (uint256)
    {
        _checkI(i);
        return _solveTrade(v0, v1, delta, i, ONE, k);
    }

    /// @notice Target of a side with reserve `v1` while the other side holds
    /// `delta` of excess, rounded up (crates/math `solve_quadratic_for_target`).
    function solveQuadraticForTarget(uint256 v1, uint256 delta, uint256 i, uint256 k)
        internal
        pure
        returns (uint256 hi)
    {
        _checkI(i);
        (, hi) = _targetBounds(v1, delta, i, ONE, k);
    }

    // --------------------------------------------------------- pool states

    function _copy(PMMState memory s) private pure returns (PMMState memory) {
        return PMMState(s.i, s.K, s.B, s.Q, s.B0, s.Q0, s.R);
    }

    function _checkFees(uint256 lpFeeRate, uint256 mtFeeRate) private pure {
        unchecked {
            uint256 total = lpFeeRate + mtFeeRate;
            if (total < lpFeeRate || total > ONE) revert MathInvalidInput();
        }
    }

    /// @dev Mirrors `validate`.
    function _validate(PMMState memory s) private pure {
        _checkI(s.i);
        _checkK(s.K);
        bool ok;
        if (s.R == RState.ONE) {
            ok = s.B0 != 0 && s.Q0 != 0;
        } else if (s.R == RState.BELOW_ONE) {
            ok = s.B0 != 0 && s.Q != 0 && s.B >= s.B0;
        } else {
            ok = s.Q0 != 0 && s.B != 0 && s.Q >= s.Q0;
        }
        if (!ok) revert MathInvalidInput();
    }

    /// @dev Mirrors `short_target_bounds`.
    function _shortTargetBounds(PMMState memory s) private pure returns (uint256, uint256) {
        if (s.R == RState.ONE) return (s.B0, s.B0);
        if (s.R == RState.BELOW_ONE) return _targetBounds(s.Q, s.B - s.B0, s.i, ONE, s.K);
        return _targetBounds(s.B, s.Q - s.Q0, ONE, s.i, s.K);
    }

    /// @notice The state with the short side's target regularised (upper
    /// bound) when R is not one (crates/math `adjusted_target`).
    function adjustedTarget(PMMState memory s) internal pure returns (PMMState memory out) {
        _validate(s);
        out = _copy(s);
        if (s.R == RState.BELOW_ONE) {
            (, out.Q0) = _shortTargetBounds(s);
        } else if (s.R == RState.ABOVE_ONE) {
            (, out.B0) = _shortTargetBounds(s);
        }
    }

    /// @dev Mirrors `mid_fraction`: the mid price as `num / den`.
    function _midFraction(PMMState memory s) private pure returns (U512 memory num, U512 memory den) {
        _validate(s);
        if (s.R == RState.ONE) return (_w(s.i), _w(1));
        (U512 memory x, U512 memory y) = _midReserveAndTarget(s);
        U512 memory sc = _w(ONE);
        U512 memory kk = _w(s.K);
        U512 memory xx = x.mul(x);
        U512 memory curve = sc.sub(kk).mul(xx).add(kk.mul(y.mul(y)));
        if (s.R == RState.BELOW_ONE) {
            // i / (1 - k + k(Q0/Q)^2) = i Q^2 / ((1 - k)Q^2 + k Q0^2)
            return (_w(s.i).mul(sc).mul(xx), curve);
        }
        // i (1 - k + k(B0/B)^2) = i ((1 - k)B^2 + k B0^2) / B^2
        return (_w(s.i).mul(curve), sc.mul(xx));
    }

    /// @dev The short side's reserve `x` and target `y` in units of 1e-18
    /// wei (target rounded up), scaled down together to at most 140 bits.
    function _midReserveAndTarget(PMMState memory s) private pure returns (U512 memory x, U512 memory y) {
        U512 memory sc = _w(ONE);
        (uint256 v1, uint256 delta, uint256 pNum, uint256 pDen) =
            s.R == RState.BELOW_ONE ? (s.Q, s.B - s.B0, s.i, ONE) : (s.B, s.Q - s.Q0, ONE, s.i);
        x = _w(v1).mul(sc);
        y = x.add(_targetExcess(v1, _scaledValue(delta, pNum, pDen, true), s.K, true, sc));
        uint256 bits = y.bitLen();
        uint256 shift = bits > 140 ? bits - 140 : 0;
        x = x.shr(shift);
        y = y.shr(shift);
        if (x.isZero()) revert MathInvalidInput();
    }

    /// @notice Mid price, quote per base in 1e18, rounded down
    /// (crates/math `mid_price`): `i` at R = one.
    function midPrice(PMMState memory s) internal pure returns (uint256) {
        (U512 memory num, U512 memory den) = _midFraction(s);
        return num.divFloor(den).narrow();
    }

    /// @notice Input that brings R back to one exactly (crates/math
    /// `back_to_one_pay`).
    function backToOnePay(PMMState memory s) internal pure returns (uint256) {
        _validate(s);
        (, uint256 hi) = _shortTargetBounds(s);
        if (s.R == RState.ONE) return 0;
        return s.R == RState.ABOVE_ONE ? hi - s.B : hi - s.Q;
    }

    /// @dev Mirrors `split_fees`.
    function _splitFees(uint256 out, uint256 lpFeeRate, uint256 mtFeeRate)
        private
        pure
        returns (uint256 receiveAmount, uint256 lpFee, uint256 mtFee)
    {
        uint256 rate = _add(lpFeeRate, mtFeeRate);
        uint256 total = _mulDivCeil(out, rate, ONE);
        mtFee = _mulDivFloor(out, mtFeeRate, ONE);
        receiveAmount = _sub(out, total);
        lpFee = _sub(total, mtFee);
    }

    /// @dev Mirrors `bounded_trade`.
    function _boundedTrade(uint256 v0, uint256 v1, uint256 delta, uint256 pNum, uint256 pDen, uint256 k)
        private
        pure
        returns (uint256 out)
    {
        out = _solveTrade(v0, v1, delta, pNum, pDen, k);
        if (delta != 0 && out >= v1) revert MathInvalidInput();
    }

    /// @dev The branch of `sell_base` at R above one and of `sell_quote` at
    /// R below one: the input side is short, so the sale walks its curve
    /// back toward its target. Below the back-to-one amount the lower target
    /// is used and the payout is capped at the other side's excess; at or
    /// past it the excess is paid in full, the upper target is stored, R
    /// passes through one and any rest is sold from one. Writes the new
    /// target and R into `next`; returns the curve output and the upper
    /// target bound.
    function _sellTowardOne(PMMState memory s, uint256 amount, bool baseIn, PMMState memory next)
        private
        pure
        returns (uint256 out, uint256 hi)
    {
        uint256 lo;
        (lo, hi) = _shortTargetBounds(s);
        uint256 reserve = baseIn ? s.B : s.Q;
        uint256 backReceive = baseIn ? s.Q - s.Q0 : s.B - s.B0;
        if (amount < hi - reserve) {
            uint256 v1 = _min(_add(reserve, amount), lo);
            if (v1 > reserve) out = _min(_integrateSide(s, baseIn, lo, v1, reserve), backReceive);
            return (out, hi);
        }
        uint256 rest = amount - (hi - reserve);
        if (baseIn) {
            next.B0 = hi;
            next.R = rest == 0 ? RState.ONE : RState.BELOW_ONE;
            out = _boundedTrade(s.Q0, s.Q0, rest, s.i, ONE, s.K);
        } else {
            next.Q0 = hi;
            next.R = rest == 0 ? RState.ONE : RState.ABOVE_ONE;
            out = _boundedTrade(s.B0, s.B0, rest, ONE, s.i, s.K);
        }
        out = _add(backReceive, out);
    }

    /// @dev `general_integrate_p` at the price of the input token: `i` for
    /// base, `1/i` for quote.
    function _integrateSide(PMMState memory s, bool baseIn, uint256 v0, uint256 v1, uint256 v2)
        private
        pure
        returns (uint256)
    {
        return baseIn ? _generalIntegrate(v0, v1, v2, s.i, ONE, s.K) : _generalIntegrate(v0, v1, v2, ONE, s.i, s.K);
    }

    /// @notice Sell `amount` of base (crates/math `sell_base`).
    function sellBase(PMMState memory s, uint256 amount, uint256 lpFeeRate, uint256 mtFeeRate)
        internal
        pure
        returns (SellOutcome memory o)
    {
        _validate(s);
        _checkFees(lpFeeRate, mtFeeRate);
        o.newState = _copy(s);
        o.inputSideTarget = s.B0;
        if (amount == 0) return o;
        uint256 out;
        if (s.R == RState.ONE) {
            o.newState.R = RState.BELOW_ONE;
            out = _boundedTrade(s.Q0, s.Q0, amount, s.i, ONE, s.K);
        } else if (s.R == RState.BELOW_ONE) {
            // Away from equilibrium: the upper target (steeper curve).
            (, uint256 q0Hi) = _shortTargetBounds(s);
            out = _boundedTrade(q0Hi, s.Q, amount, s.i, ONE, s.K);
        } else {
            (out, o.inputSideTarget) = _sellTowardOne(s, amount, true, o.newState);
        }
        (o.receiveAmount, o.lpFee, o.mtFee) = _splitFees(out, lpFeeRate, mtFeeRate);
        o.newState.B = _add(s.B, amount);
        o.newState.Q = _sub(s.Q, _add(o.receiveAmount, o.mtFee));
    }

    /// @notice Sell `amount` of quote (crates/math `sell_quote`).
    function sellQuote(PMMState memory s, uint256 amount, uint256 lpFeeRate, uint256 mtFeeRate)
        internal
        pure
        returns (SellOutcome memory o)
    {
        _validate(s);
        _checkFees(lpFeeRate, mtFeeRate);
        o.newState = _copy(s);
        o.inputSideTarget = s.Q0;
        if (amount == 0) return o;
        uint256 out;
        if (s.R == RState.ONE) {
            o.newState.R = RState.ABOVE_ONE;
            out = _boundedTrade(s.B0, s.B0, amount, ONE, s.i, s.K);
        } else if (s.R == RState.ABOVE_ONE) {
            (, uint256 b0Hi) = _shortTargetBounds(s);
            out = _boundedTrade(b0Hi, s.B, amount, ONE, s.i, s.K);
        } else {
            (out, o.inputSideTarget) = _sellTowardOne(s, amount, false, o.newState);
        }
        (o.receiveAmount, o.lpFee, o.mtFee) = _splitFees(out, lpFeeRate, mtFeeRate);
        o.newState.Q = _add(s.Q, amount);
        o.newState.B = _sub(s.B, _add(o.receiveAmount, o.mtFee));
    }
}
