//! An in-process chain that runs compiled Stylus programs beside Solidity.
//!
//! - [`host`]: the Stylus `vm_hooks` host ABI under wasmi, over the
//!   [`Backend`] trait; every program is first metered by [`meter`].
//! - [`evm`]: the frame dispatcher. EVM bytecode runs under revm's
//!   interpreter, Stylus code under the [`Runtime`], `ArbSys` and the
//!   Ethereum precompiles natively, all on one journaled [`WorldState`].
//! - [`world`]: accounts, storage, logs, the clock and transactions
//!   ([`World`]), with gas and ink reported for each.
//! - [`artifacts`]: the committed Solidity fixtures.
//! - [`arb_wasm`]: Nitro's program activation (`ArbWasm` at `0x71`), off
//!   unless [`World::enable_program_activation`] turns it on.
//!
//! Stylus code is stored as `0xEFF00000 ‖ brotli(wasm)`, packed with
//! [`vault_wasm_pack::pack`], the same processing the size check measures.
//! See the README's "In-process chain" for the rules implemented and their
//! sources.

pub mod arb_wasm;
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
