//! Static ABI words for the vault contracts' own dispatchers.
//!
//! The SDK's `#[public]` router and `alloy-sol-types`' encoders bring one
//! generic encoder per function, event and error: many KB of wasm per
//! contract. Every vault contract instead routes its calls through one
//! table ([`lookup`]), reads its static arguments with [`Args`], and writes
//! return data, revert data, calldata and logs with the one encoder here,
//! [`encode_into`]. Selectors and event hashes still come from each
//! contract's `sol!` declaration, and the contracts' tests compare every
//! encoding byte for byte with the `sol!` types' own.
#![no_std]

extern crate alloc;

use alloc::vec::Vec;

use alloy_primitives::{Address, B256, U256};
use stylus_sdk::stylus_core::Host;

/// One ABI word, by reference: call sites pass pointers, and the encoding
/// is written once, in [`encode_into`].
#[derive(Clone, Copy, Debug)]
pub enum Word<'a> {
    /// A `uint256`.
    Uint(&'a U256),
    /// A `bytes32`.
    Hash(&'a B256),
    /// An `address`.
    Address(&'a Address),
    /// A `uint64`, `uint32`, `uint16`, `uint8` or `bool`.
    Small(&'a u64),
    /// An `int256`, as its two's complement.
    Int(&'a alloy_primitives::I256),
}

/// Appends the words, 32 bytes each, big-endian; addresses and small
/// integers are left-padded with zeros.
#[inline(never)]
pub fn encode_into(out: &mut Vec<u8>, words: &[Word]) {
    for item in words {
        // Whole 32-byte arrays: no slice bounds, so no panic formatting is
        // linked in.
        let word: [u8; 32] = match *item {
            Word::Uint(value) => value.to_be_bytes::<32>(),
            Word::Hash(hash) => hash.0,
            Word::Address(address) => address.into_word().0,
            Word::Small(value) => U256::from(*value).to_be_bytes::<32>(),
            Word::Int(value) => value.to_be_bytes::<32>(),
        };
        out.extend_from_slice(&word);
    }
}

/// Return data (or a log's topics and data): the words, ABI-encoded.
#[inline(never)]
#[must_use]
pub fn ret(words: &[Word]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 * words.len());
    encode_into(&mut out, words);
    out
}

/// `selector ‖ words`: calldata or revert data whose arguments are all
/// static.
#[inline(never)]
#[must_use]
pub fn encode(selector: [u8; 4], words: &[Word]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + 32 * words.len());
    out.extend_from_slice(&selector);
    encode_into(&mut out, words);
    out
}

/// Word `index` of ABI-encoded data, if the data is that long.
#[inline(never)]
#[must_use]
pub fn at(data: Option<&[u8]>, index: usize) -> Option<U256> {
    data?.get(32 * index..32 * index + 32).map(U256::from_be_slice)
}

/// Emits a log whose first `topics` words are its topics (the event's
/// signature hash first) and the rest its data, as the event's `sol!`
/// declaration encodes it. Always inlined: at the call site `vm` is the
/// contract's concrete host, so the call is devirtualised (an opaque
/// `&dyn Host` would link the SDK's whole host vtable).
#[allow(clippy::inline_always)]
#[inline(always)]
pub fn emit(vm: &dyn Host, topics: usize, words: &[Word]) {
    vm.emit_log(&ret(words), topics);
}

/// A refused call: the ABI encoding of one of the contract's custom errors,
/// which becomes the revert data. (An enum of the error structs would be
/// moved through every `?` and bring one encoder per error.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revert(Vec<u8>);

impl Revert {
    /// `selector ‖ words`, the words in the order of the error's declaration.
    #[inline(never)]
    #[must_use]
    pub fn new(selector: [u8; 4], words: &[Word]) -> Self {
        Self(encode(selector, words))
    }

    /// The revert data.
    #[must_use]
    pub fn data(&self) -> &[u8] {
        &self.0
    }
}

impl From<Revert> for Vec<u8> {
    fn from(error: Revert) -> Self {
        error.0
    }
}

/// One row of a dispatch table: the selector, the function, the number of
/// arguments, and which of them are addresses and which are small
/// (`uint64` or narrower, `bool`): bit `i` for argument `i`. Every argument
/// is one static word.
pub type Entry<F> = ([u8; 4], F, u8, u16, u16);

/// Finds the calldata's function in `table` and checks its arguments as the
/// SDK's decoder would; `None` when the selector is unknown or the
/// arguments are malformed (the caller reverts with no data).
#[inline(never)]
pub fn lookup<'a, F: Copy>(table: &[Entry<F>], calldata: &'a [u8]) -> Option<(F, Args<'a>)> {
    let (selector, args) = calldata.split_first_chunk::<4>()?;
    let &(_, function, count, addresses, smalls) = table.iter().find(|entry| entry.0 == *selector)?;
    let args = Args(args);
    args.valid(count, addresses, smalls).then_some((function, args))
}

/// ABI-encoded static arguments (after the selector), read after
/// [`lookup`] accepted them.
#[derive(Clone, Copy, Debug)]
pub struct Args<'a>(&'a [u8]);

impl Args<'_> {
    /// Whether there are exactly `count` words (the SDK's validating
    /// decoder refuses trailing bytes too), the `addresses` ones with 12
    /// leading zero bytes and the `smalls` ones below 2^64.
    fn valid(self, count: u8, addresses: u16, smalls: u16) -> bool {
        self.0.len() == 32 * usize::from(count)
            && (0..usize::from(count)).all(|index| {
                let bits = self.uint(index).bit_len();
                let limit = if addresses >> index & 1 == 1 {
                    160
                } else if smalls >> index & 1 == 1 {
                    64
                } else {
                    256
                };
                bits <= limit
            })
    }

    /// Argument `index` (zero past the end).
    #[inline(never)]
    #[must_use]
    pub fn uint(self, index: usize) -> U256 {
        at(Some(self.0), index).unwrap_or_default()
    }

    /// Argument `index` as a `bytes32`.
    #[must_use]
    pub fn hash(self, index: usize) -> B256 {
        self.uint(index).into()
    }

    /// Argument `index` as an address.
    #[inline(never)]
    #[must_use]
    pub fn address(self, index: usize) -> Address {
        Address::from_word(self.hash(index))
    }

    /// Argument `index` as a small integer (checked below 2^64 by [`lookup`]).
    #[must_use]
    pub fn small(self, index: usize) -> u64 {
        self.uint(index).as_limbs()[0]
    }

    /// Argument `index` as an `int256`.
    #[must_use]
    pub fn int(self, index: usize) -> alloy_primitives::I256 {
        alloy_primitives::I256::from_raw(self.uint(index))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use alloc::vec;

    const TABLE: [Entry<u8>; 2] = [([1, 2, 3, 4], 7, 2, 0b01, 0b10), ([9, 9, 9, 9], 8, 0, 0, 0)];

    fn call(words: &[Word]) -> Vec<u8> {
        encode([1, 2, 3, 4], words)
    }

    #[test]
    fn lookup_checks_arguments_as_the_validating_decoder() {
        let (account, small) = (Address::repeat_byte(0xab), 5u64);
        let good = call(&[Word::Address(&account), Word::Small(&small)]);
        let (function, args) = lookup(&TABLE, &good).unwrap();
        assert_eq!((function, args.address(0), args.small(1)), (7, account, 5));
        assert_eq!(lookup(&TABLE, &[9, 9, 9, 9]).map(|found| found.0), Some(8));
        // Unknown selector, short, trailing bytes, dirty address, wide small.
        assert!(lookup(&TABLE, &[1, 2, 3]).is_none());
        assert!(lookup(&TABLE, &[5, 5, 5, 5]).is_none());
        assert!(lookup(&TABLE, &good[..good.len() - 1]).is_none());
        assert!(lookup(&TABLE, &[good.clone(), vec![0]].concat()).is_none());
        let mut dirty = good.clone();
        dirty[4] = 1;
        assert!(lookup(&TABLE, &dirty).is_none());
        let mut wide = good;
        wide[4 + 32 + 23] = 1;
        assert!(lookup(&TABLE, &wide).is_none());
    }

    #[test]
    fn words_encode_as_the_abi() {
        let (value, hash, account, small) =
            (U256::from(258u64), B256::repeat_byte(7), Address::repeat_byte(1), 9u64);
        let negative = alloy_primitives::I256::MINUS_ONE;
        let data = ret(&[
            Word::Uint(&value),
            Word::Hash(&hash),
            Word::Address(&account),
            Word::Small(&small),
            Word::Int(&negative),
        ]);
        assert_eq!(data.len(), 160);
        assert_eq!(at(Some(&data), 0), Some(value));
        assert_eq!(&data[32..64], hash.as_slice());
        assert_eq!(&data[64..76], &[0; 12]);
        assert_eq!(&data[76..96], account.as_slice());
        assert_eq!(at(Some(&data), 3), Some(U256::from(9u64)));
        assert_eq!(at(Some(&data), 4), Some(U256::MAX));
        assert_eq!(at(Some(&data), 5), None);
        assert_eq!(Revert::new([1, 2, 3, 4], &[Word::Small(&small)]).data()[..4], [1, 2, 3, 4]);
    }
}
