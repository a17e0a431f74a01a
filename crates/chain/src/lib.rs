//! An in-process chain that runs compiled Stylus programs.
//!
//! The real `.wasm` of a contract runs under wasmi with the Stylus
//! `vm_hooks` host ABI implemented in Rust ([`host`]), over a state reached
//! through the [`Backend`] trait. [`World`] is the in-memory backend:
//! accounts (code, storage, balance), logs, a clock and a journal, so that a
//! reverted or failed frame leaves no trace.
//!
//! Stylus code is stored as `0xEFF00000 ‖ brotli(wasm)`, packed with
//! [`vault_wasm_pack::pack`], the same processing the size check measures.
//!
//! # Implemented
//! - Every hostio of stylus-sdk 0.9.0 (`vm_hooks`), plus `exit_early` and
//!   the transient storage pair; see [`host`] and
//!   [`Runtime::hostios`]. A program importing anything else is refused with
//!   [`ChainError::UnknownImport`].
//! - Stylus→Stylus calls (`call_contract`, `static_call_contract`,
//!   `delegate_call_contract`) in nested frames, with value transfer,
//!   return data, revert propagation and rollback of the failed callee;
//!   `msg_reentrant`; static-context write protection.
//! - The SDK storage cache semantics (cache, flush, drop on frame end).
//! - `block_number` is the L1 block estimate, which advances one block per
//!   12 s ([`World::advance`]); the L2 number is [`BlockEnv::number`].
//!
//! # Not yet
//! - The EVM side: calls to accounts with EVM bytecode fail
//!   ([`ChainError::EvmCode`]); `create1`/`create2` fail
//!   ([`ChainError::CreateUnsupported`]). A revm 19.7 bridge will implement
//!   [`Backend`] over revm's journaled state.
//! - Ink metering and gas: `evm_gas_left`/`evm_ink_left` report fixed values
//!   ([`host::FIXED_GAS_LEFT`], ×[`host::INK_PER_GAS`]), `tx_ink_price` is
//!   10,000, `pay_for_memory_grow` is free, the `gas` argument of calls is
//!   ignored, and so is the 63/64 rule.
//! - Precompiles (`ArbSys` and others) and the `console` debug module.

pub mod artifacts;
pub mod backend;
mod error;
pub mod evm;
pub mod host;
pub mod meter;
pub mod world;

pub use backend::{Backend, BlockEnv, CallKind, CallRequest, CreateRequest, FrameResult, TxEnv};
pub use error::ChainError;
pub use host::Runtime;
pub use world::{Account, CallOutcome, Checkpoint, World, WorldState};
