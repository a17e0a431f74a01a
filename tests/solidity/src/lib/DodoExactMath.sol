// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

/// @notice A DODO V2 maintainer fee model, as DODO's pools ask it (with
/// `tx.origin`): `DodoFeeRateModel` is the fixture.
interface IDodoFeeRateModel {
    function getFeeRate(address trader) external view returns (uint256);
}

/// @title DodoExactMath
/// @notice DODO V2's PMM arithmetic with its truncation order and its revert
/// strings, written from DODO's published contracts (no code copied) and
/// mirroring `vault_math::pmm::dodo` step for step. DODO compiles with
/// Solidity 0.6, where `SafeMath` checks and reverts with strings and plain
/// operators wrap; here every operation is `unchecked` and the checks are
/// explicit, so the two behave alike. Shared by the DODO-exact pools
/// (`DodoDspPool`, `DodoDppPool`): DODO prices its DSP and DPP with the same
/// `PMMPricing`.
library DodoExactMath {
    uint256 internal constant ONE = 1e18;
    uint256 internal constant ONE2 = 1e36;

    enum RState {
        ONE,
        ABOVE_ONE,
        BELOW_ONE
    }

    struct PMMState {
        uint256 i;
        uint256 K;
        uint256 B;
        uint256 Q;
        uint256 B0;
        uint256 Q0;
        RState R;
    }

    // ---- SafeMath (0.6 semantics) ----

    function mul(uint256 a, uint256 b) internal pure returns (uint256 c) {
        if (a == 0) return 0;
        unchecked {
            c = a * b;
        }
        require(c / a == b, "MUL_ERROR");
    }

    function div(uint256 a, uint256 b) internal pure returns (uint256) {
        require(b > 0, "DIVIDING_ERROR");
        return a / b;
    }

    function divCeilRaw(uint256 a, uint256 b) internal pure returns (uint256) {
        uint256 q = div(a, b);
        unchecked {
            return a - q * b > 0 ? q + 1 : q;
        }
    }

    function sub(uint256 a, uint256 b) internal pure returns (uint256) {
        require(b <= a, "SUB_ERROR");
        unchecked {
            return a - b;
        }
    }

    function add(uint256 a, uint256 b) internal pure returns (uint256 c) {
        unchecked {
            c = a + b;
        }
        require(c >= a, "ADD_ERROR");
    }

    /// @dev Babylonian from x / 2 + 1, unchecked: returns 2 for 2, else the
    /// floor of the square root.
    function sqrt(uint256 x) internal pure returns (uint256 y) {
        unchecked {
            uint256 z = x / 2 + 1;
            y = x;
            while (z < y) {
                y = z;
                z = (x / z + z) / 2;
            }
        }
    }

    // ---- DecimalMath ----

    function mulFloor(uint256 a, uint256 b) internal pure returns (uint256) {
        return mul(a, b) / ONE;
    }

    function divFloor(uint256 a, uint256 b) internal pure returns (uint256) {
        return div(mul(a, ONE), b);
    }

    function divCeil(uint256 a, uint256 b) internal pure returns (uint256) {
        return divCeilRaw(mul(a, ONE), b);
    }

    function reciprocalFloor(uint256 a) internal pure returns (uint256) {
        return div(ONE2, a);
    }

    // ---- DODOMath ----

    function generalIntegrate(uint256 v0, uint256 v1, uint256 v2, uint256 i, uint256 k)
        internal
        pure
        returns (uint256)
    {
        require(v0 > 0, "TARGET_IS_ZERO");
        uint256 fair = mul(i, sub(v1, v2));
        if (k == 0) return div(fair, ONE);
        uint256 ratio = divFloor(div(mul(v0, v0), v1), v2);
        uint256 penalty = mulFloor(k, ratio);
        return div(mul(add(sub(ONE, k), penalty), fair), ONE2);
    }

    function solveForTarget(uint256 v1, uint256 delta, uint256 i, uint256 k) internal pure returns (uint256) {
        if (k == 0) return add(v1, mulFloor(i, delta));
        if (v1 == 0) return 0;
        uint256 fourK;
        uint256 twoK;
        unchecked {
            fourK = 4 * k;
            twoK = k * 2;
        }
        uint256 ki = mul(fourK, i);
        uint256 root;
        if (ki == 0) {
            root = ONE;
        } else {
            uint256 product;
            unchecked {
                product = ki * delta;
            }
            if (product / ki == delta) {
                root = sqrt(add(div(product, v1), ONE2));
            } else {
                root = sqrt(add(mul(div(ki, v1), delta), ONE2));
            }
        }
        uint256 premium = add(divFloor(sub(root, ONE), twoK), ONE);
        return mulFloor(v1, premium);
    }

    function solveForTrade(uint256 v0, uint256 v1, uint256 delta, uint256 i, uint256 k)
        internal
        pure
        returns (uint256)
    {
        require(v0 > 0, "TARGET_IS_ZERO");
        if (delta == 0) return 0;
        if (k == 0) {
            uint256 out = mulFloor(i, delta);
            return out > v1 ? v1 : out;
        }
        if (k == ONE) return solveForTradeKOne(v0, v1, delta, i);
        uint256 part2 = add(mul(div(mul(k, v0), v1), v0), mul(i, delta));
        uint256 oneMinusK = sub(ONE, k);
        uint256 bAbs = mul(oneMinusK, v1);
        bool bPositive;
        if (bAbs >= part2) {
            bAbs = bAbs - part2;
        } else {
            bAbs = part2 - bAbs;
            bPositive = true;
        }
        bAbs = div(bAbs, ONE);
        uint256 fourAc = mulFloor(mul(oneMinusK, 4), mul(mulFloor(k, v0), v0));
        uint256 root = sqrt(add(mul(bAbs, bAbs), fourAc));
        uint256 numerator;
        if (bPositive) {
            numerator = sub(root, bAbs);
            if (numerator == 0) revert("DODOMath: should not be zero");
        } else {
            numerator = add(bAbs, root);
        }
        uint256 v2 = divCeil(numerator, mul(oneMinusK, 2));
        return v2 > v1 ? 0 : v1 - v2;
    }

    function solveForTradeKOne(uint256 v0, uint256 v1, uint256 delta, uint256 i) private pure returns (uint256) {
        uint256 idelta = mul(i, delta);
        uint256 t;
        if (idelta != 0) {
            uint256 product;
            unchecked {
                product = idelta * v1;
            }
            if (product / idelta == v1) {
                t = div(product, mul(v0, v0));
            } else {
                t = div(mul(div(mul(delta, v1), v0), i), v0);
            }
        }
        return div(mul(v1, t), add(t, ONE));
    }

    // ---- PMMPricing ----

    function adjustedTarget(PMMState memory s) internal pure {
        if (s.R == RState.BELOW_ONE) {
            s.Q0 = solveForTarget(s.Q, sub(s.B, s.B0), s.i, s.K);
        } else if (s.R == RState.ABOVE_ONE) {
            s.B0 = solveForTarget(s.B, sub(s.Q, s.Q0), reciprocalFloor(s.i), s.K);
        }
    }

    function sellBaseToken(PMMState memory s, uint256 pay) internal pure returns (uint256 out, RState r) {
        if (s.R == RState.ONE) {
            return (solveForTrade(s.Q0, s.Q0, pay, s.i, s.K), RState.BELOW_ONE);
        }
        if (s.R == RState.BELOW_ONE) {
            return (solveForTrade(s.Q0, s.Q, pay, s.i, s.K), RState.BELOW_ONE);
        }
        uint256 backPay = sub(s.B0, s.B);
        uint256 backReceive = sub(s.Q, s.Q0);
        if (pay < backPay) {
            out = generalIntegrate(s.B0, add(s.B, pay), s.B, s.i, s.K);
            return (out > backReceive ? backReceive : out, RState.ABOVE_ONE);
        }
        if (pay == backPay) return (backReceive, RState.ONE);
        return (add(backReceive, solveForTrade(s.Q0, s.Q0, pay - backPay, s.i, s.K)), RState.BELOW_ONE);
    }

    function sellQuoteToken(PMMState memory s, uint256 pay) internal pure returns (uint256 out, RState r) {
        if (s.R == RState.ONE) {
            return (solveForTrade(s.B0, s.B0, pay, reciprocalFloor(s.i), s.K), RState.ABOVE_ONE);
        }
        if (s.R == RState.ABOVE_ONE) {
            return (solveForTrade(s.B0, s.B, pay, reciprocalFloor(s.i), s.K), RState.ABOVE_ONE);
        }
        uint256 backPay = sub(s.Q0, s.Q);
        uint256 backReceive = sub(s.B, s.B0);
        if (pay < backPay) {
            out = generalIntegrate(s.Q0, add(s.Q, pay), s.Q, reciprocalFloor(s.i), s.K);
            return (out > backReceive ? backReceive : out, RState.BELOW_ONE);
        }
        if (pay == backPay) return (backReceive, RState.ONE);
        uint256 rest = solveForTrade(s.B0, s.B0, pay - backPay, reciprocalFloor(s.i), s.K);
        return (add(backReceive, rest), RState.ABOVE_ONE);
    }

    function midPrice(PMMState memory s) internal pure returns (uint256) {
        if (s.R == RState.BELOW_ONE) {
            uint256 ratio = divFloor(div(mul(s.Q0, s.Q0), s.Q), s.Q);
            ratio = add(sub(ONE, s.K), mulFloor(s.K, ratio));
            return divFloor(s.i, ratio);
        }
        uint256 r = divFloor(div(mul(s.B0, s.B0), s.B), s.B);
        r = add(sub(ONE, s.K), mulFloor(s.K, r));
        return mulFloor(s.i, r);
    }
}
