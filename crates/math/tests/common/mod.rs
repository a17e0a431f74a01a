//! Helpers the math crate's property tests share (each test binary uses a
//! part of them).
#![allow(dead_code)]

use vault_math::U256;

/// Case count per property: `PROPTEST_CASES` or 10,000.
pub fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000)
}

/// `floor(a / d)` by shift-and-subtract, `d > 0`: the tests' own division,
/// independent of the crate's (which the model's square root uses) and of
/// ruint's `/` (which returned wrong quotients in optimised builds; see the
/// crate's division tests).
pub fn qdiv(a: U256, d: U256) -> U256 {
    assert!(!d.is_zero());
    let mut q = U256::ZERO;
    let mut r = U256::ZERO;
    for bit in (0..a.bit_len()).rev() {
        r = (r << 1) | U256::from(u8::from(a.bit(bit)));
        if r >= d {
            r -= d;
            q.set_bit(bit, true);
        }
    }
    q
}

/// `10^e`.
pub fn pow10(e: u32) -> U256 {
    U256::from(10u8).pow(U256::from(e))
}

/// `m · 10^e`.
pub fn sci(m: u64, e: u32) -> U256 {
    U256::from(m) * pow10(e)
}
