// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

// The four ways a PMM calculation is refused. They mirror the variants of
// `MathError` in crates/math, so a test can match a revert of the Solidity
// pool against the error the Rust math returns for the same input.

/// A result or an intermediate does not fit (256 bits for a result, 512 bits
/// for an intermediate product).
error MathOverflow();
/// A subtraction would go below zero.
error MathUnderflow();
/// A divisor is zero.
error MathDivisionByZero();
/// An argument is outside the domain the formula is defined on.
error MathInvalidInput();
