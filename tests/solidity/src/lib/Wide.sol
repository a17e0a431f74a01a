// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

import {MathOverflow, MathUnderflow, MathDivisionByZero} from "./MathErrors.sol";

/// @notice An unsigned 512-bit integer: `hi * 2**256 + lo`.
struct U512 {
    uint256 hi;
    uint256 lo;
}

/// @title Wide
/// @notice Checked 512-bit unsigned arithmetic for the PMM formulas. It plays
/// the part of the 512-bit helpers in crates/math (`wide.rs`): products of up
/// to four 256-bit factors stay exact, so each formula rounds exactly once.
/// Every operation reverts with the error the Rust helper returns: `mul` and
/// `add` with `MathOverflow` past 512 bits, divisions with
/// `MathDivisionByZero`, `narrow` with `MathOverflow` past 256 bits.
/// @dev Square roots and quotients are unique integers, so any correct method
/// gives the Rust results bit for bit; the methods here are chosen for gas.
library Wide {
    uint256 private constant MAX = type(uint256).max;

    /// @notice Widens a 256-bit value.
    function w(uint256 x) internal pure returns (U512 memory) {
        return U512(0, x);
    }

    /// @notice Narrows to 256 bits; reverts with `MathOverflow` if it does not fit.
    function narrow(U512 memory a) internal pure returns (uint256) {
        if (a.hi != 0) revert MathOverflow();
        return a.lo;
    }

    function isZero(U512 memory a) internal pure returns (bool) {
        return a.hi == 0 && a.lo == 0;
    }

    function eq(U512 memory a, U512 memory b) internal pure returns (bool) {
        return a.hi == b.hi && a.lo == b.lo;
    }

    function lt(U512 memory a, U512 memory b) internal pure returns (bool) {
        return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo);
    }

    function gt(U512 memory a, U512 memory b) internal pure returns (bool) {
        return lt(b, a);
    }

    function min(U512 memory a, U512 memory b) internal pure returns (U512 memory) {
        return lt(b, a) ? b : a;
    }

    /// @notice `a + b`; `MathOverflow` at 2**512.
    function add(U512 memory a, U512 memory b) internal pure returns (U512 memory) {
        unchecked {
            uint256 lo = a.lo + b.lo;
            uint256 carry = lo < a.lo ? 1 : 0;
            uint256 hi = a.hi + b.hi;
            if (hi < a.hi) revert MathOverflow();
            uint256 hiCarried = hi + carry;
            if (hiCarried < hi) revert MathOverflow();
            return U512(hiCarried, lo);
        }
    }

    /// @notice `a - b`; `MathUnderflow` when `b > a`.
    function sub(U512 memory a, U512 memory b) internal pure returns (U512 memory) {
        if (lt(a, b)) revert MathUnderflow();
        unchecked {
            uint256 borrow = a.lo < b.lo ? 1 : 0;
            return U512(a.hi - b.hi - borrow, a.lo - b.lo);
        }
    }

    /// @notice `max(a - b, 0)`.
    function saturatingSub(U512 memory a, U512 memory b) internal pure returns (U512 memory) {
        if (lt(a, b)) return U512(0, 0);
        return sub(a, b);
    }

    /// @notice Full 512-bit product of two 256-bit values.
    /// @dev The low word is the product modulo 2**256 and the product modulo
    /// 2**256 - 1 fixes the high word (Chinese remainder theorem).
    function mul256(uint256 a, uint256 b) internal pure returns (U512 memory) {
        unchecked {
            uint256 modMax = mulmod(a, b, MAX);
            uint256 lo = a * b;
            uint256 hi = modMax - lo;
            if (modMax < lo) hi -= 1;
            return U512(hi, lo);
        }
    }

    /// @notice `a * b`; `MathOverflow` at 2**512.
    function mul(U512 memory a, U512 memory b) internal pure returns (U512 memory) {
        if (a.hi != 0 && b.hi != 0) revert MathOverflow();
        (U512 memory x, uint256 y) = a.hi == 0 ? (b, a.lo) : (a, b.lo);
        return mulBy(x, y);
    }

    /// @notice `a * y` for a 256-bit `y`; `MathOverflow` at 2**512.
    function mulBy(U512 memory a, uint256 y) internal pure returns (U512 memory) {
        U512 memory low = mul256(a.lo, y);
        U512 memory high = mul256(a.hi, y);
        if (high.hi != 0) revert MathOverflow();
        unchecked {
            uint256 hi = low.hi + high.lo;
            if (hi < low.hi) revert MathOverflow();
            return U512(hi, low.lo);
        }
    }

    /// @notice Number of significant bits (0 for zero).
    function bitLen(U512 memory a) internal pure returns (uint256) {
        return a.hi != 0 ? 256 + bitLen256(a.hi) : bitLen256(a.lo);
    }

    /// @notice Number of significant bits of a 256-bit value (0 for zero).
    function bitLen256(uint256 x) internal pure returns (uint256 n) {
        if (x >= 1 << 128) { x >>= 128; n += 128; }
        if (x >= 1 << 64) { x >>= 64; n += 64; }
        if (x >= 1 << 32) { x >>= 32; n += 32; }
        if (x >= 1 << 16) { x >>= 16; n += 16; }
        if (x >= 1 << 8) { x >>= 8; n += 8; }
        if (x >= 1 << 4) { x >>= 4; n += 4; }
        if (x >= 1 << 2) { x >>= 2; n += 2; }
        if (x >= 1 << 1) { x >>= 1; n += 1; }
        if (x != 0) n += 1;
    }

    /// @notice `a >> n` for any `n`.
    function shr(U512 memory a, uint256 n) internal pure returns (U512 memory) {
        if (n == 0) return U512(a.hi, a.lo);
        if (n >= 512) return U512(0, 0);
        if (n >= 256) return U512(0, a.hi >> (n - 256));
        return U512(a.hi >> n, (a.lo >> n) | (a.hi << (256 - n)));
    }

    /// @notice `floor(a / d)`; `MathDivisionByZero` for `d = 0`.
    function divFloor(U512 memory a, U512 memory d) internal pure returns (U512 memory q) {
        (q,) = divRem(a, d);
    }

    /// @notice `ceil(a / d)`; `MathDivisionByZero` for `d = 0`.
    function divCeil(U512 memory a, U512 memory d) internal pure returns (U512 memory) {
        (U512 memory q, U512 memory r) = divRem(a, d);
        return isZero(r) ? q : add(q, U512(0, 1));
    }

    /// @notice Quotient and remainder of `a / d`.
    function divRem(U512 memory a, U512 memory d) internal pure returns (U512 memory q, U512 memory r) {
        if (d.hi == 0) {
            if (d.lo == 0) revert MathDivisionByZero();
            uint256 rem;
            (q, rem) = divRemBy(a, d.lo);
            return (q, U512(0, rem));
        }
        if (lt(a, d)) return (U512(0, 0), U512(a.hi, a.lo));
        // The divisor has more than 256 bits, so the quotient fits in 256.
        // Estimate it from below with both operands shifted right by `t`,
        // which leaves a 255-bit divisor; `+ 1` on the shifted divisor makes
        // the estimate a lower bound, short of the quotient by a few units.
        uint256 t = bitLen(d) - 255;
        uint256 dd = shr(d, t).lo + 1;
        (U512 memory estimate,) = divRemBy(shr(a, t), dd);
        uint256 qe = estimate.lo;
        r = sub(a, mulBy(d, qe));
        while (!lt(r, d)) {
            r = sub(r, d);
            qe += 1;
        }
        q = U512(0, qe);
    }

    /// @notice Quotient and remainder of `a / d` for a nonzero 256-bit `d`.
    function divRemBy(U512 memory a, uint256 d) internal pure returns (U512 memory q, uint256 r) {
        if (d == 0) revert MathDivisionByZero();
        uint256 qLo;
        (qLo, r) = div2by1(a.hi % d, a.lo, d);
        q = U512(a.hi / d, qLo);
    }

    /// @notice `(hi * 2**256 + lo) / d` and its remainder, for `hi < d`
    /// (the quotient then fits in 256 bits).
    /// @dev The remainder is found with modular arithmetic; once it is
    /// subtracted the division is exact, so the quotient is the dividend
    /// times the inverse of the divisor modulo 2**256, after the divisor's
    /// factors of two are divided out (Hensel lifting gives the inverse of
    /// an odd number: each step doubles the number of correct low bits).
    function div2by1(uint256 hi, uint256 lo, uint256 d) internal pure returns (uint256 q, uint256 r) {
        if (hi == 0) return (lo / d, lo % d);
        unchecked {
            uint256 twoPow256ModD = (MAX % d) + 1;
            r = addmod(mulmod(hi, twoPow256ModD, d), lo, d);
            if (lo < r) hi -= 1;
            lo -= r;
            uint256 twos = d & (0 - d);
            d /= twos;
            lo /= twos;
            // 2**256 / twos (wraps to 0 when twos = 1, and hi * 0 adds nothing
            // then, as it should: no bits move down).
            uint256 flip = ((0 - twos) / twos) + 1;
            lo |= hi * flip;
            uint256 inv = (3 * d) ^ 2; // correct modulo 2**4
            inv *= 2 - d * inv; // 2**8
            inv *= 2 - d * inv; // 2**16
            inv *= 2 - d * inv; // 2**32
            inv *= 2 - d * inv; // 2**64
            inv *= 2 - d * inv; // 2**128
            inv *= 2 - d * inv; // 2**256
            q = lo * inv;
        }
    }

    /// @notice `floor(sqrt(a))`.
    function sqrtFloor(U512 memory a) internal pure returns (U512 memory x) {
        if (a.hi == 0) return U512(0, sqrt256(a.lo));
        // Start above the root: the root of the top 256 bits (an even shift),
        // plus one, scaled back. Newton's step from above then falls
        // monotonically to the floor of the root.
        uint256 half = (bitLen(a) - 255) / 2;
        uint256 top = shr(a, 2 * half).lo;
        x = mulBy(U512(0, sqrt256(top) + 1), uint256(1) << half);
        U512 memory next = shr(add(x, divFloor(a, x)), 1);
        while (lt(next, x)) {
            x = next;
            next = shr(add(x, divFloor(a, x)), 1);
        }
    }

    /// @notice `ceil(sqrt(a))`.
    function sqrtCeil(U512 memory a) internal pure returns (U512 memory) {
        U512 memory r = sqrtFloor(a);
        return eq(mul(r, r), a) ? r : add(r, U512(0, 1));
    }

    /// @notice `floor(sqrt(x))` on 256 bits.
    function sqrt256(uint256 x) internal pure returns (uint256 root) {
        if (x < 2) return x;
        root = uint256(1) << ((bitLen256(x) + 1) / 2);
        uint256 next = (root + x / root) >> 1;
        while (next < root) {
            root = next;
            next = (root + x / root) >> 1;
        }
    }
}
