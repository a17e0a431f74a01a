//! Exact stabilization math for the vault stabilizer.
//!
//! Everything here is `no_std`, free of the Stylus SDK, and uses checked
//! 256-bit integer arithmetic only. Fixed-point values carry 18 decimals
//! ([`fixed::ONE`] is `1e18`). Each function states its rounding direction;
//! the rule is that rounding always goes against the caller of the contract
//! that uses it.
#![cfg_attr(not(test), no_std)]

pub mod deviation;
mod divide;
pub mod fixed;
pub mod mesh;
mod multiply;
pub mod observation;
pub mod pmm;
pub mod reserve;
pub mod sizing;
pub mod stabilizer;
mod wide;

pub use alloy_primitives::{I256, U256};

/// Why a calculation was refused. No function here panics on bad input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MathError {
    /// A result does not fit in 256 bits.
    Overflow,
    /// A subtraction would go below zero.
    Underflow,
    /// A divisor is zero.
    DivisionByZero,
    /// An argument is outside the domain the formula is defined on.
    InvalidInput,
}

/// Result of a calculation in this crate.
pub type MathResult<T> = Result<T, MathError>;
