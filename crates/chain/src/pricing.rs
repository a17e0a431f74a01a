//! Interim prices, replaced by the metering module's Nitro tables.

/// Ink per gas.
pub const INK_PER_GAS: u64 = 10_000;
/// Export name of the ink-left global.
pub const INK_LEFT_GLOBAL: &str = "stylus_ink_left";
/// Export name of the ink-status global.
pub const INK_STATUS_GLOBAL: &str = "stylus_ink_status";
/// Base hostio price.
pub const HOSTIO_INK: u64 = 8_400;
/// Pointer argument price.
pub const PTR_INK: u64 = 0;
/// EVM API price.
pub const EVM_API_INK: u64 = 59_673;

/// Read price.
pub fn read_price(_bytes: usize) -> u64 {
    0
}
/// Write price.
pub fn write_price(_bytes: usize) -> u64 {
    0
}
/// Keccak price.
pub fn keccak_price(_bytes: usize) -> u64 {
    0
}
/// Memory growth gas.
pub fn memory_grow_gas(_open: u16, _new: u16) -> u64 {
    0
}
