//! Nitro's ink metering for Stylus programs: the wasm instrumentation, the
//! price tables and the memory page model.
//!
//! Everything here restates rules of Arbitrum Nitro as read in
//! `OffchainLabs/nitro` at commit `6dce8d13902649a1acdfd3f2504129f1f5612358`
//! (2026-04-23); the prices are Nitro's numbers, the code is this project's.
//! "Nitro `a/b.rs`" below means that file at that commit.
//!
//! # Rules implemented
//! - **Ink globals** (Nitro `crates/prover/src/programs/meter.rs`, `Meter::update_module`;
//!   `dynamic.rs`, `DynamicMeter::update_module`): [`instrument`] appends three
//!   mutable globals after every existing one (imported or defined), all
//!   initialised to 0 and exported under Nitro's names, in Nitro's order:
//!   [`STYLUS_INK_LEFT`] (`i64`), [`STYLUS_INK_STATUS`] (`i32`) and
//!   [`STYLUS_SCRATCH_GLOBAL`] (`i32`). A module that already exports one of
//!   these names is refused, as Nitro refuses it. No import is added, so no
//!   function index moves.
//! - **Basic blocks** (Nitro `crates/arbutil/src/operator.rs`,
//!   `ends_basic_block`): a block ends *after* `end`, `else`, `return`,
//!   `loop`, `br`, `br_if`, `br_table`, `if`, `call` and `call_indirect`
//!   ([`ends_basic_block`]). `block` and `unreachable` do not end one.
//! - **Block header** (Nitro `meter.rs`, `FuncMeter::feed`): each block's
//!   cost is the saturating sum of its opcodes' prices ([`opcode_ink`], the
//!   ending opcode included) plus [`INK_HEADER_COST`] (Nitro `config.rs`,
//!   `CompileConfig::version`, Stylus versions 1 and 2). In front of the
//!   block's first opcode the header does: if `ink_left < cost`, set
//!   `ink_status = 1` and trap (`unreachable`), leaving `ink_left` as it was;
//!   else `ink_left -= cost`. So the whole block is paid before any of it
//!   runs, and a branch back to a `loop` pays the loop body's block again.
//! - **Opcode prices** (Nitro `meter.rs`, `pricing_v1`): [`opcode_ink`].
//!   Opcodes Nitro does not support (floats, SIMD, atomics, reference types,
//!   tables, exceptions, GC, tail calls, typed `select`, ...) cost
//!   `u64::MAX`, which makes their block's header always trap.
//! - **Bulk memory** (Nitro `crates/prover/src/programs/dynamic.rs`,
//!   `FuncDynamicMeter::feed`; per-byte prices from `config.rs`): in front of
//!   each `memory.fill` and `memory.copy`, inside the already paid block, the
//!   size operand is moved to the scratch global and `size ×`
//!   [`MEMORY_FILL_INK`] (or [`MEMORY_COPY_INK`]) is subtracted from
//!   `ink_left`; when that wraps below zero, `ink_status = 1` and trap. Here,
//!   unlike the header, `ink_left` has already been written (wrapped) when the
//!   trap fires; the status says exhausted either way. `memory.init`,
//!   `data.drop`, `elem.drop` and the table opcodes are refused
//!   ([`MeterError::UnsupportedOpcode`]), as Nitro's dynamic meter refuses them.
//! - **Memory growth** (Nitro `crates/prover/src/programs/heap.rs`,
//!   `HeapBound`): when the memory may grow (no maximum, or maximum ≠
//!   minimum), the module must import `vm_hooks::pay_for_memory_grow(i32)`,
//!   and a call to it with the requested page count is inserted in front of
//!   every `memory.grow`. The host charges there: [`hostio::PAY_FOR_MEMORY_GROW_BASE_INK`]
//!   for 0 pages, else the gas of [`MemoryModel::gas_cost`]. With a fixed-size
//!   memory nothing is inserted.
//! - **Order of the passes** as in Nitro `config.rs` (`engine_type`): meter,
//!   then dynamic meter, then heap bound. So the code the later passes insert
//!   is not priced by the block meter, and the inserted `call` does not end a
//!   block.
//! - **Hostio prices** (Nitro `crates/arbutil/src/pricing.rs`, charged as in
//!   `crates/wasm-libraries/user-host-trait/lib.rs`): the [`hostio`]
//!   constants, [`read_price`], [`write_price`], [`keccak_price`],
//!   [`pow_price`], [`evm_log_gas`] and the per-hostio [`hostio_ink`].
//! - **Ink and gas** (Nitro `config.rs`, `PricingParams`;
//!   `arbos/programs/params.go`, `initialInkPrice`): [`gas_to_ink`],
//!   [`ink_to_gas`], [`INK_PRICE`].
//! - **Memory pages** (Nitro `arbos/programs/memory.go`, `MemoryModel`; defaults
//!   in `arbos/programs/params.go`; page counters in Nitro's go-ethereum
//!   `StateDB.AddStylusPages`): [`MemoryModel`], [`memory_grow_gas`],
//!   [`StylusPages`].
//! - **Reading and charging ink from the host** (Nitro `meter.rs`,
//!   `MeteredMachine`): [`InkGlobals`], [`MachineMeter`], [`ink_left`],
//!   [`set_ink_left`], [`ink_status`].
//!
//! # Not modelled
//! - The stack-depth checker (Nitro `crates/prover/src/programs/depth.rs`:
//!   the `stylus_stack_left` global, per-function frame sizes, the
//!   `max_depth` limit). Deep recursion is bounded only by wasmi's own limits.
//! - The start mover (`start.rs`): no start function is renamed and no
//!   export is dropped. Activation rules are checked by `vault-wasm-pack`.
//! - Activation gas and the per-call init costs (`initGas`/`cachedGas` in
//!   `arbos/programs/programs.go`), which depend on Nitro's compiled code
//!   estimate. Only the page part of a call's start cost is here
//!   ([`StylusPages::start_call`]).
//! - The gas parts of the hostios that ask the EVM (cold/warm access, SSTORE
//!   rules, call gas, the 63/64 rule): the [`hostio`] module lists the EVM
//!   constants Nitro uses, the host computes them.
//! - Nitro's `MIN_INK` does not exist at this commit; there is no such
//!   constant here.

use std::{collections::HashSet, fmt, ops::Range};

use wasm_encoder::{BlockType, ConstExpr, Encode, ExportKind, GlobalType, Instruction, RawSection, ValType};
use wasmi::{AsContext, AsContextMut, Caller, Extern, Global, Instance, Mutability, Val};
use wasmparser::{CompositeInnerType, FunctionBody, Operator, Parser, Payload, TypeRef, Validator};

/// Export name of the `i64` global holding the ink left (Nitro `meter.rs`, `STYLUS_INK_LEFT`).
pub const STYLUS_INK_LEFT: &str = "stylus_ink_left";
/// Export name of the `i32` global that is 1 once the program ran out of ink
/// (Nitro `meter.rs`, `STYLUS_INK_STATUS`).
pub const STYLUS_INK_STATUS: &str = "stylus_ink_status";
/// Export name of the `i32` scratch global used by the bulk-memory and
/// memory-grow instrumentation (Nitro `dynamic.rs`, `SCRATCH_GLOBAL`).
pub const STYLUS_SCRATCH_GLOBAL: &str = "stylus_scratch_global";
/// The hostio the instrumentation calls before each `memory.grow` (Nitro `heap.rs`, `PAY_FUNC`).
pub const PAY_FOR_MEMORY_GROW: &str = "pay_for_memory_grow";

// ---------------------------------------------------------------------------
// Opcode prices.
// ---------------------------------------------------------------------------

/// Ink of the check at the head of every basic block (Nitro `config.rs`,
/// `ink_header_cost` for Stylus versions 1 and 2).
pub const INK_HEADER_COST: u64 = 2450;
/// Ink per byte of `memory.fill`, on top of its opcode price (Nitro
/// `config.rs`, `memory_fill_ink = 800 / 8`).
pub const MEMORY_FILL_INK: u64 = 100;
/// Ink per byte of `memory.copy`, on top of its opcode price (Nitro
/// `config.rs`, `memory_copy_ink = 800 / 8`).
pub const MEMORY_COPY_INK: u64 = 100;
/// Price of an opcode Nitro does not support.
pub const UNSUPPORTED_INK: u64 = u64::MAX;

/// Ink of one opcode (Nitro `meter.rs`, `pricing_v1`).
///
/// `call_indirect` costs 13,610 plus 650 per parameter of its type;
/// `param_counts[i]` is the parameter count of type `i` (`None` for a type
/// that is not a function type). `br_table` costs 2,400 plus 325 per target,
/// the default target not counted. Opcodes Nitro does not price cost
/// [`UNSUPPORTED_INK`]. `memory.fill`/`memory.copy` also pay per byte at run
/// time ([`MEMORY_FILL_INK`]); `memory.grow` also pays through
/// `pay_for_memory_grow`.
#[allow(clippy::enum_glob_use)]
pub fn opcode_ink(op: &Operator<'_>, param_counts: &[Option<u32>]) -> u64 {
    use Operator::*;
    match op {
        Unreachable
        | Return
        | Nop
        | I32Const { .. }
        | I64Const { .. }
        | Block { .. }
        | Loop { .. }
        | Else
        | End => 1,
        // Nitro: "could be 1, but using a higher number helps limit the number of ops".
        Drop => 9,
        I32Add | I32Sub | I32And | I32Or | I32Xor | I32Shl | I32ShrS | I32ShrU | I32Rotl | I32Rotr => 70,
        LocalGet { .. } | LocalTee { .. } => 75,
        I64Add | I64Sub | I64And | I64Or | I64Xor | I64Shl | I64ShrS | I64ShrU | I64Rotl | I64Rotr
        | I32WrapI64 | I64ExtendI32S | I64ExtendI32U | I32Extend8S | I32Extend16S | I64Extend8S
        | I64Extend16S | I64Extend32S => 100,
        I32Mul | I64Mul => 160,
        I32Eqz | I32Eq | I32Ne | I32LtS | I32LtU | I32GtS | I32GtU | I32LeS | I32LeU | I32GeS | I32GeU => 170,
        LocalSet { .. } | I32Clz | I32Ctz | I64Clz | I64Ctz => 210,
        GlobalGet { .. }
        | I64Eqz
        | I64Eq
        | I64Ne
        | I64LtS
        | I64LtU
        | I64GtS
        | I64GtU
        | I64LeS
        | I64LeU
        | I64GeS
        | I64GeU => 225,
        GlobalSet { .. } => 575,
        I32Load { .. } | I32Load8S { .. } | I32Load8U { .. } | I32Load16S { .. } | I32Load16U { .. } => 670,
        I64Load { .. }
        | I64Load8S { .. }
        | I64Load8U { .. }
        | I64Load16S { .. }
        | I64Load16U { .. }
        | I64Load32S { .. }
        | I64Load32U { .. } => 680,
        Br { .. } | BrIf { .. } | If { .. } => 765,
        I32Store { .. } | I32Store8 { .. } | I32Store16 { .. } => 825,
        I64Store { .. }
        | I64Store8 { .. }
        | I64Store16 { .. }
        | I64Store32 { .. }
        | MemoryCopy { .. }
        | MemoryFill { .. } => 950,
        I32DivS | I32DivU | I32RemS | I32RemU => 1120,
        Select => 1250,
        I64DivS | I64DivU | I64RemS | I64RemU => 1270,
        I32Popcnt => 2650,
        MemorySize { .. } => 3000,
        Call { .. } => 3800,
        I64Popcnt => 6000,
        MemoryGrow { .. } => 8050,
        BrTable { targets } => 2400 + 325 * u64::from(targets.len()),
        CallIndirect { type_index, .. } => {
            match usize::try_from(*type_index).ok().and_then(|i| param_counts.get(i).copied().flatten()) {
                Some(params) => 13_610 + 650 * u64::from(params),
                None => UNSUPPORTED_INK,
            }
        }
        _ => UNSUPPORTED_INK,
    }
}

/// Whether `op` is the last opcode of a basic block (Nitro
/// `crates/arbutil/src/operator.rs`, `ends_basic_block`).
pub fn ends_basic_block(op: &Operator<'_>) -> bool {
    matches!(
        op,
        Operator::End
            | Operator::Else
            | Operator::Return
            | Operator::Loop { .. }
            | Operator::Br { .. }
            | Operator::BrTable { .. }
            | Operator::BrIf { .. }
            | Operator::If { .. }
            | Operator::Call { .. }
            | Operator::CallIndirect { .. }
    )
}

// ---------------------------------------------------------------------------
// Hostio prices.
// ---------------------------------------------------------------------------

/// Ink of each hostio before any per-byte or EVM-gas part (Nitro
/// `crates/arbutil/src/pricing.rs`, module `hostio`), and the EVM gas
/// constants the hostios charge or require (Nitro
/// `crates/arbutil/src/evm/mod.rs`, `evm/storage.rs`).
pub mod hostio {
    /// For hostios that may return something (Nitro `pricing.rs`, `HOSTIO_INK`).
    pub const HOSTIO_INK: u64 = 8400;
    /// For hostios that include pointers: 13,440 − [`HOSTIO_INK`] (Nitro `pricing.rs`, `PTR_INK`).
    pub const PTR_INK: u64 = 13_440 - HOSTIO_INK;
    /// For hostios that involve an API cost (Nitro `pricing.rs`, `EVM_API_INK`).
    pub const EVM_API_INK: u64 = 59_673;
    /// For hostios that involve a div or mod (Nitro `pricing.rs`, `DIV_INK`).
    pub const DIV_INK: u64 = 20_000;
    /// For hostios that involve a mulmod (Nitro `pricing.rs`, `MUL_MOD_INK`).
    pub const MUL_MOD_INK: u64 = 24_100;
    /// For hostios that involve an addmod (Nitro `pricing.rs`, `ADD_MOD_INK`).
    pub const ADD_MOD_INK: u64 = 21_000;

    /// `read_args`.
    pub const READ_ARGS_BASE_INK: u64 = HOSTIO_INK;
    /// `write_result`.
    pub const WRITE_RESULT_BASE_INK: u64 = HOSTIO_INK;
    /// `storage_load_bytes32`.
    pub const STORAGE_LOAD_BASE_INK: u64 = HOSTIO_INK + 2 * PTR_INK;
    /// `storage_cache_bytes32`.
    pub const STORAGE_CACHE_BASE_INK: u64 = HOSTIO_INK + 2 * PTR_INK;
    /// `storage_flush_cache`.
    pub const STORAGE_FLUSH_BASE_INK: u64 = HOSTIO_INK + EVM_API_INK;
    /// `transient_load_bytes32`.
    pub const TRANSIENT_LOAD_BASE_INK: u64 = HOSTIO_INK + 2 * PTR_INK + EVM_API_INK;
    /// `transient_store_bytes32`.
    pub const TRANSIENT_STORE_BASE_INK: u64 = HOSTIO_INK + 2 * PTR_INK + EVM_API_INK;
    /// `call_contract`, `delegate_call_contract` and `static_call_contract`.
    pub const CALL_CONTRACT_BASE_INK: u64 = HOSTIO_INK + 3 * PTR_INK + EVM_API_INK;
    /// `create1`.
    pub const CREATE1_BASE_INK: u64 = HOSTIO_INK + 3 * PTR_INK + EVM_API_INK;
    /// `create2`.
    pub const CREATE2_BASE_INK: u64 = HOSTIO_INK + 4 * PTR_INK + EVM_API_INK;
    /// `read_return_data`.
    pub const READ_RETURN_DATA_BASE_INK: u64 = HOSTIO_INK + EVM_API_INK;
    /// `return_data_size`.
    pub const RETURN_DATA_SIZE_BASE_INK: u64 = HOSTIO_INK;
    /// `emit_log`.
    pub const EMIT_LOG_BASE_INK: u64 = HOSTIO_INK + EVM_API_INK;
    /// `account_balance`.
    pub const ACCOUNT_BALANCE_BASE_INK: u64 = HOSTIO_INK + 2 * PTR_INK + EVM_API_INK;
    /// `account_code`.
    pub const ACCOUNT_CODE_BASE_INK: u64 = HOSTIO_INK + EVM_API_INK;
    /// `account_code_size`.
    pub const ACCOUNT_CODE_SIZE_BASE_INK: u64 = HOSTIO_INK + EVM_API_INK;
    /// `account_codehash`.
    pub const ACCOUNT_CODE_HASH_BASE_INK: u64 = HOSTIO_INK + 2 * PTR_INK + EVM_API_INK;
    /// `block_basefee`.
    pub const BLOCK_BASEFEE_BASE_INK: u64 = HOSTIO_INK + PTR_INK;
    /// `block_coinbase`.
    pub const BLOCK_COINBASE_BASE_INK: u64 = HOSTIO_INK + PTR_INK;
    /// `block_gas_limit`.
    pub const BLOCK_GAS_LIMIT_BASE_INK: u64 = HOSTIO_INK;
    /// `block_number`.
    pub const BLOCK_NUMBER_BASE_INK: u64 = HOSTIO_INK;
    /// `block_timestamp`.
    pub const BLOCK_TIMESTAMP_BASE_INK: u64 = HOSTIO_INK;
    /// `chainid`.
    pub const CHAIN_ID_BASE_INK: u64 = HOSTIO_INK;
    /// `contract_address`.
    pub const ADDRESS_BASE_INK: u64 = HOSTIO_INK + PTR_INK;
    /// `evm_gas_left`.
    pub const EVM_GAS_LEFT_BASE_INK: u64 = HOSTIO_INK;
    /// `evm_ink_left`.
    pub const EVM_INK_LEFT_BASE_INK: u64 = HOSTIO_INK;
    /// `math_div`.
    pub const MATH_DIV_BASE_INK: u64 = HOSTIO_INK + 3 * PTR_INK + DIV_INK;
    /// `math_mod`.
    pub const MATH_MOD_BASE_INK: u64 = HOSTIO_INK + 3 * PTR_INK + DIV_INK;
    /// `math_pow` (plus [`super::pow_price`] of the exponent).
    pub const MATH_POW_BASE_INK: u64 = HOSTIO_INK + 3 * PTR_INK;
    /// `math_add_mod`.
    pub const MATH_ADD_MOD_BASE_INK: u64 = HOSTIO_INK + 4 * PTR_INK + ADD_MOD_INK;
    /// `math_mul_mod`.
    pub const MATH_MUL_MOD_BASE_INK: u64 = HOSTIO_INK + 4 * PTR_INK + MUL_MOD_INK;
    /// `msg_reentrant`.
    pub const MSG_REENTRANT_BASE_INK: u64 = HOSTIO_INK;
    /// `msg_sender`.
    pub const MSG_SENDER_BASE_INK: u64 = HOSTIO_INK + PTR_INK;
    /// `msg_value`.
    pub const MSG_VALUE_BASE_INK: u64 = HOSTIO_INK + PTR_INK;
    /// `tx_gas_price`.
    pub const TX_GAS_PRICE_BASE_INK: u64 = HOSTIO_INK + PTR_INK;
    /// `tx_ink_price`.
    pub const TX_INK_PRICE_BASE_INK: u64 = HOSTIO_INK;
    /// `tx_origin`.
    pub const TX_ORIGIN_BASE_INK: u64 = HOSTIO_INK + PTR_INK;
    /// `pay_for_memory_grow` with 0 pages (more pages pay page gas instead).
    pub const PAY_FOR_MEMORY_GROW_BASE_INK: u64 = HOSTIO_INK;

    /// Gas `storage_cache_bytes32` and `storage_flush_cache` require to be
    /// left (Nitro `evm/mod.rs`, `SSTORE_SENTRY_GAS`, geth's `SstoreSentryGasEIP2200`).
    pub const SSTORE_SENTRY_GAS: u64 = 2300;
    /// Gas the account hostios require to be left (Nitro `evm/mod.rs`,
    /// `COLD_ACCOUNT_GAS`, geth's `ColdAccountAccessCostEIP2929`).
    pub const COLD_ACCOUNT_GAS: u64 = 2600;
    /// Part of the gas `storage_load_bytes32` requires to be left (Nitro
    /// `evm/mod.rs`, `COLD_SLOAD_GAS`, geth's `ColdSloadCostEIP2929`).
    pub const COLD_SLOAD_GAS: u64 = 2100;
    /// Gas `transient_load_bytes32` and `transient_store_bytes32` buy (Nitro
    /// `evm/mod.rs`, `TLOAD_GAS`/`TSTORE_GAS`, geth's `WarmStorageReadCostEIP2929`).
    pub const TRANSIENT_GAS: u64 = 100;
    /// Extra gas the storage hostios require for the storage cache (Nitro
    /// `evm/storage.rs`, `StorageCache::REQUIRED_ACCESS_GAS`).
    pub const STORAGE_REQUIRED_ACCESS_GAS: u64 = 10;
    /// Log gas per topic, the log itself counting as one (Nitro `evm/mod.rs`, `LOG_TOPIC_GAS`).
    pub const LOG_TOPIC_GAS: u64 = 375;
    /// Log gas per data byte (Nitro `evm/mod.rs`, `LOG_DATA_GAS`).
    pub const LOG_DATA_GAS: u64 = 8;
}

pub use hostio::{EVM_API_INK, HOSTIO_INK, PTR_INK};

/// Ink for the host writing `bytes` bytes into the program, the first 32
/// included in the base (Nitro `pricing.rs`, `write_price`: 5,040 + 30 per byte past 32).
pub fn write_price(bytes: u32) -> u64 {
    5040_u64.saturating_add(30_u64.saturating_mul(u64::from(bytes.saturating_sub(32))))
}

/// Ink for the host reading `bytes` bytes out of the program (Nitro
/// `pricing.rs`, `read_price`: 16,381 + 55 per byte past 32).
pub fn read_price(bytes: u32) -> u64 {
    16_381_u64.saturating_add(55_u64.saturating_mul(u64::from(bytes.saturating_sub(32))))
}

/// Ink of `native_keccak256` over `bytes` bytes (Nitro `pricing.rs`,
/// `keccak_price`: 121,800 + 21,000 per 32-byte word past the second).
pub fn keccak_price(bytes: u32) -> u64 {
    let words = bytes.div_ceil(32).saturating_sub(2);
    121_800_u64.saturating_add(21_000_u64.saturating_mul(u64::from(words)))
}

/// Extra ink of `math_pow` for a big-endian 256-bit `exponent` (Nitro
/// `pricing.rs`, `pow_price`: 3,000 + 17,500 × (33 − leading zero bytes)).
pub fn pow_price(exponent: &[u8; 32]) -> u64 {
    let leading_zeros = exponent.iter().take_while(|byte| **byte == 0).count();
    let significant = 33 - u64::try_from(leading_zeros).unwrap_or(32);
    3000 + significant * 17_500
}

/// EVM gas `emit_log` buys for `topics` topics and `data_len` data bytes
/// (Nitro `meter.rs`, `GasMeteredMachine::pay_for_evm_log`).
pub fn evm_log_gas(topics: u32, data_len: u32) -> u64 {
    (1 + u64::from(topics))
        .saturating_mul(hostio::LOG_TOPIC_GAS)
        .saturating_add(u64::from(data_len).saturating_mul(hostio::LOG_DATA_GAS))
}

/// Ink a hostio buys directly, before any EVM-gas part, as charged in Nitro
/// `crates/wasm-libraries/user-host-trait/lib.rs`; `None` for a name that is
/// not a Stylus hostio.
///
/// `len` is the hostio's variable length, ignored by the fixed-price ones:
///
/// | hostio | ink | `len` | then, in gas |
/// |---|---|---|---|
/// | `read_args` | base + [`write_price`] | args length | |
/// | `write_result` | base + 2 × [`read_price`] | result length | |
/// | `call_contract`, `delegate_call_contract`, `static_call_contract` | base + 2 × [`read_price`] | calldata length | the call's gas |
/// | `create1`, `create2` | base + 2 × [`read_price`] | init code length | the create's gas |
/// | `read_return_data` | base + [`write_price`] | `min(size, return_len − offset)` | |
/// | `emit_log` | base + [`read_price`] | log length (topics included) | [`evm_log_gas`]`(topics, len − 32 × topics)` |
/// | `account_code` | base + [`write_price`] | the account's code length | account access |
/// | `native_keccak256` | [`keccak_price`] | preimage length | |
/// | `pay_for_memory_grow` | base if 0 pages, else 0 | pages | [`MemoryModel::gas_cost`] if pages > 0 |
/// | `math_pow` | base (+ [`pow_price`] of the exponent) | | |
/// | `storage_load_bytes32` | base | | requires 2,100 + 10 + ink→gas of `EVM_API_INK` (ArbOS ≥ 32; before, 59,673 gas), buys the access gas |
/// | `storage_cache_bytes32` | base | | requires 2,300 + 10, buys the SSTORE gas |
/// | `storage_flush_cache` | base | | requires 2,300, buys the writes' gas (ArbOS ≥ 32) |
/// | `transient_load_bytes32`, `transient_store_bytes32` | base | | buys 100 |
/// | `account_balance`, `account_code_size`, `account_codehash` | base | | requires 2,600, buys the access gas |
/// | `exit_early` | 0 | | |
/// | every other hostio | base | | |
///
/// "base" is the hostio's `*_BASE_INK` in [`hostio`]. "ArbOS ≥ 32" is Nitro's
/// `ARBOS_VERSION_STYLUS_CHARGING_FIXES` (`crates/arbutil/src/evm/mod.rs`).
#[allow(clippy::wildcard_imports)]
pub fn hostio_ink(name: &str, len: u32) -> Option<u64> {
    use hostio::*;
    let twice_read = read_price(len).saturating_mul(2);
    let ink = match name {
        "read_args" => READ_ARGS_BASE_INK.saturating_add(write_price(len)),
        "write_result" => WRITE_RESULT_BASE_INK.saturating_add(twice_read),
        "storage_load_bytes32" => STORAGE_LOAD_BASE_INK,
        "storage_cache_bytes32" => STORAGE_CACHE_BASE_INK,
        "storage_flush_cache" => STORAGE_FLUSH_BASE_INK,
        "transient_load_bytes32" => TRANSIENT_LOAD_BASE_INK,
        "transient_store_bytes32" => TRANSIENT_STORE_BASE_INK,
        "call_contract" | "delegate_call_contract" | "static_call_contract" => {
            CALL_CONTRACT_BASE_INK.saturating_add(twice_read)
        }
        "create1" => CREATE1_BASE_INK.saturating_add(twice_read),
        "create2" => CREATE2_BASE_INK.saturating_add(twice_read),
        "read_return_data" => READ_RETURN_DATA_BASE_INK.saturating_add(write_price(len)),
        "return_data_size" => RETURN_DATA_SIZE_BASE_INK,
        "emit_log" => EMIT_LOG_BASE_INK.saturating_add(read_price(len)),
        "account_balance" => ACCOUNT_BALANCE_BASE_INK,
        "account_code" => ACCOUNT_CODE_BASE_INK.saturating_add(write_price(len)),
        "account_code_size" => ACCOUNT_CODE_SIZE_BASE_INK,
        "account_codehash" => ACCOUNT_CODE_HASH_BASE_INK,
        "block_basefee" => BLOCK_BASEFEE_BASE_INK,
        "block_coinbase" => BLOCK_COINBASE_BASE_INK,
        "block_gas_limit" => BLOCK_GAS_LIMIT_BASE_INK,
        "block_number" => BLOCK_NUMBER_BASE_INK,
        "block_timestamp" => BLOCK_TIMESTAMP_BASE_INK,
        "chainid" => CHAIN_ID_BASE_INK,
        "contract_address" => ADDRESS_BASE_INK,
        "evm_gas_left" => EVM_GAS_LEFT_BASE_INK,
        "evm_ink_left" => EVM_INK_LEFT_BASE_INK,
        "math_div" => MATH_DIV_BASE_INK,
        "math_mod" => MATH_MOD_BASE_INK,
        "math_pow" => MATH_POW_BASE_INK,
        "math_add_mod" => MATH_ADD_MOD_BASE_INK,
        "math_mul_mod" => MATH_MUL_MOD_BASE_INK,
        "msg_reentrant" => MSG_REENTRANT_BASE_INK,
        "msg_sender" => MSG_SENDER_BASE_INK,
        "msg_value" => MSG_VALUE_BASE_INK,
        "native_keccak256" => keccak_price(len),
        "tx_gas_price" => TX_GAS_PRICE_BASE_INK,
        "tx_ink_price" => TX_INK_PRICE_BASE_INK,
        "tx_origin" => TX_ORIGIN_BASE_INK,
        "pay_for_memory_grow" if len == 0 => PAY_FOR_MEMORY_GROW_BASE_INK,
        // Pages are paid in gas; `exit_early` is free.
        "pay_for_memory_grow" | "exit_early" => 0,
        _ => return None,
    };
    Some(ink)
}

// ---------------------------------------------------------------------------
// Ink and gas.
// ---------------------------------------------------------------------------

/// Ink per EVM gas, ArbOS's initial `InkPrice` (Nitro `arbos/programs/params.go`,
/// `initialInkPrice`: "1 evm gas buys 10k ink").
pub const INK_PRICE: u32 = 10_000;

/// Gas to ink at `ink_price`, saturating (Nitro `config.rs`, `PricingParams::gas_to_ink`).
pub fn gas_to_ink(gas: u64, ink_price: u32) -> u64 {
    gas.saturating_mul(u64::from(ink_price))
}

/// Ink to gas at `ink_price`, rounding down (Nitro `config.rs`,
/// `PricingParams::ink_to_gas`). An `ink_price` of 0 is treated as 1.
pub fn ink_to_gas(ink: u64, ink_price: u32) -> u64 {
    ink / u64::from(ink_price.max(1))
}

// ---------------------------------------------------------------------------
// Memory pages.
// ---------------------------------------------------------------------------

/// Pages each transaction gets for free, ArbOS's initial `FreePages`
/// (Nitro `arbos/programs/params.go`, `InitialFreePages`).
pub const FREE_PAGES: u16 = 2;
/// Linear gas per page past the free ones, ArbOS's initial `PageGas`
/// (Nitro `arbos/programs/params.go`, `InitialPageGas`).
pub const PAGE_GAS: u16 = 1000;
/// ArbOS's `PageRamp` (Nitro `arbos/programs/params.go`, `initialPageRamp`:
/// "targets 8MB costing 32 million gas, minus the linear term"). At this
/// commit the cost does not read it: [`MEMORY_EXPONENTS`] is its precomputed
/// table. Kept as a fact.
pub const PAGE_RAMP: u64 = 620_674_314;
/// Most pages a program may start with (Nitro `arbos/programs/params.go`, `initialPageLimit`).
pub const PAGE_LIMIT: u16 = 128;

/// The exponential part of the page cost by total pages ever open in the
/// transaction, 0 to 128 (Nitro `arbos/programs/memory.go`, `memoryExponents`).
pub const MEMORY_EXPONENTS: [u32; 129] = [
    1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 5, 6, 7, 8, 9, 11, 12, 14, 17, 19, 22, 25, 29, 33, 38, 43, 50, 57,
    65, 75, 85, 98, 112, 128, 147, 168, 193, 221, 253, 289, 331, 379, 434, 497, 569, 651, 745, 853, 976,
    1117, 1279, 1463, 1675, 1917, 2194, 2511, 2874, 3290, 3765, 4309, 4932, 5645, 6461, 7395, 8464, 9687,
    11_087, 12_689, 14_523, 16_621, 19_024, 21_773, 24_919, 28_521, 32_642, 37_359, 42_758, 48_938, 56_010,
    64_104, 73_368, 83_971, 96_106, 109_994, 125_890, 144_082, 164_904, 188_735, 216_010, 247_226, 282_953,
    323_844, 370_643, 424_206, 485_509, 555_672, 635_973, 727_880, 833_067, 953_456, 1_091_243, 1_248_941,
    1_429_429, 1_636_000, 1_872_423, 2_143_012, 2_452_704, 2_807_151, 3_212_820, 3_677_113, 4_208_502,
    4_816_684, 5_512_756, 6_309_419, 7_221_210, 8_264_766, 9_459_129, 10_826_093, 12_390_601, 14_181_199,
    16_230_562, 18_576_084, 21_260_563, 24_332_984, 27_849_408, 31_873_999,
];

/// The gas price of wasm pages (Nitro `arbos/programs/memory.go`, `MemoryModel`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryModel {
    /// Pages a transaction gets for free.
    pub free_pages: u16,
    /// Linear gas per page past the free ones.
    pub page_gas: u16,
}

impl Default for MemoryModel {
    fn default() -> Self {
        Self::ARBOS
    }
}

impl MemoryModel {
    /// ArbOS's initial parameters: [`FREE_PAGES`], [`PAGE_GAS`].
    pub const ARBOS: Self = Self { free_pages: FREE_PAGES, page_gas: PAGE_GAS };

    /// Gas of opening `new` pages while `open` are open and `ever` have
    /// been open at once in this transaction (Nitro `memory.go`,
    /// `MemoryModel.GasCost(new, open, ever)`): 0 while no more than the free
    /// pages have ever been open; else the linear gas of the new pages past
    /// the free ones plus the growth of the exponential term from `ever` to
    /// the new high-water mark (`u64::MAX` past 128 pages).
    pub fn gas_cost(&self, new: u16, open: u16, ever: u16) -> u64 {
        let new_open = open.saturating_add(new);
        let new_ever = ever.max(new_open);
        if new_ever <= self.free_pages {
            return 0;
        }
        let past_free = |pages: u16| pages.saturating_sub(self.free_pages);
        let adding = past_free(new_open).saturating_sub(past_free(open));
        let linear = u64::from(adding).saturating_mul(u64::from(self.page_gas));
        let expand = exponent(new_ever).saturating_sub(exponent(ever));
        linear.saturating_add(expand)
    }
}

fn exponent(pages: u16) -> u64 {
    MEMORY_EXPONENTS.get(usize::from(pages)).map_or(u64::MAX, |x| u64::from(*x))
}

/// Gas of growing by `new_pages` with ArbOS's initial [`MemoryModel`], given
/// `open_pages` open now and `ever_pages` the transaction's high-water mark.
/// Same as `MemoryModel::ARBOS.gas_cost(new_pages, open_pages, ever_pages)`.
pub fn memory_grow_gas(open_pages: u16, ever_pages: u16, new_pages: u16) -> u64 {
    MemoryModel::ARBOS.gas_cost(new_pages, open_pages, ever_pages)
}

/// A transaction's wasm page counters (Nitro's go-ethereum `StateDB`:
/// `openWasmPages`, `everWasmPages`; used in Nitro `arbos/programs/programs.go`
/// and `api.go`).
///
/// Per Nitro: a call first pays [`Self::start_call`] for its initial memory
/// (footprint), the pages stay open during the call and `open` is restored
/// to its value from before the call when it returns ([`Self::set_open`]);
/// `pay_for_memory_grow(pages > 0)` pays [`Self::add_pages`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StylusPages {
    /// Pages open now, over all active frames.
    pub open: u16,
    /// Most pages ever open at once in the transaction.
    pub ever: u16,
}

impl StylusPages {
    /// Opens `new` pages and returns their gas under `model` (Nitro
    /// `api.go`, `addPages`, over `StateDB.AddStylusPages`, which returns the
    /// counts from before).
    pub fn add_pages(&mut self, model: &MemoryModel, new: u16) -> u64 {
        let (open, ever) = (self.open, self.ever);
        self.open = open.saturating_add(new);
        self.ever = ever.max(self.open);
        model.gas_cost(new, open, ever)
    }

    /// Opens a called program's `footprint` pages; returns the gas and the
    /// `open` count to restore when the call returns (Nitro `programs.go`,
    /// `CallProgram`: `GasCost(footprint, open, ever)`, then `AddStylusPages`,
    /// then `SetStylusPagesOpen(open)` on return).
    pub fn start_call(&mut self, model: &MemoryModel, footprint: u16) -> (u64, u16) {
        let restore = self.open;
        (self.add_pages(model, footprint), restore)
    }

    /// Sets the open page count (Nitro `StateDB.SetStylusPagesOpen`).
    pub fn set_open(&mut self, open: u16) {
        self.open = open;
    }
}

// ---------------------------------------------------------------------------
// Instrumentation.
// ---------------------------------------------------------------------------

/// Why a module could not be instrumented, or its ink globals not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MeterError {
    /// The input is not a valid wasm module.
    Invalid(String),
    /// The module already exports one of the names the meter adds.
    AlreadyExported(&'static str),
    /// An opcode Nitro's dynamic meter refuses.
    UnsupportedOpcode {
        /// Index of the function (imports counted).
        function: u32,
        /// Byte offset of the opcode in the module.
        offset: usize,
        /// The opcode.
        opcode: String,
    },
    /// The memory may grow but `vm_hooks::pay_for_memory_grow` is not imported.
    MissingPayForMemoryGrow,
    /// `vm_hooks::pay_for_memory_grow` is imported with a type other than `(i32) -> ()`.
    PayForMemoryGrowType,
    /// An instance lacks an ink global: the module was not instrumented.
    MissingGlobal(&'static str),
    /// An ink global has the wrong type or is immutable.
    GlobalType(&'static str),
}

impl fmt::Display for MeterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(why) => write!(f, "invalid wasm: {why}"),
            Self::AlreadyExported(name) => write!(f, "wasm already contains {name}"),
            Self::UnsupportedOpcode { function, offset, opcode } => {
                write!(f, "opcode not supported: {opcode} in function {function} at byte {offset}")
            }
            Self::MissingPayForMemoryGrow => {
                write!(f, "memory can grow but vm_hooks::{PAY_FOR_MEMORY_GROW} is not imported")
            }
            Self::PayForMemoryGrowType => write!(f, "wrong type for vm_hooks::{PAY_FOR_MEMORY_GROW}"),
            Self::MissingGlobal(name) => write!(f, "missing global {name}: not instrumented"),
            Self::GlobalType(name) => write!(f, "global {name} has the wrong type"),
        }
    }
}

impl std::error::Error for MeterError {}

impl From<wasmparser::BinaryReaderError> for MeterError {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        Self::Invalid(e.to_string())
    }
}

/// What the instrumentation needs to know about the module.
#[derive(Default)]
struct ModuleFacts {
    /// Parameter count of each type (`None` for non-function types).
    param_counts: Vec<Option<u32>>,
    imported_funcs: u32,
    imported_globals: u32,
    defined_globals: u32,
    exports: HashSet<String>,
    /// Whether the (first) memory may grow.
    growable_memory: bool,
    /// Function index of `vm_hooks::pay_for_memory_grow`, if imported.
    pay_func: Option<u32>,
    pay_func_type_ok: bool,
}

impl ModuleFacts {
    fn read(wasm: &[u8]) -> Result<Self, MeterError> {
        let mut facts = Self::default();
        let mut func_types: Vec<Option<(Vec<wasmparser::ValType>, Vec<wasmparser::ValType>)>> = Vec::new();
        let mut memories: Vec<wasmparser::MemoryType> = Vec::new();
        let mut pay_type = None;
        for payload in Parser::new(0).parse_all(wasm) {
            match payload? {
                Payload::TypeSection(reader) => {
                    for group in reader {
                        for sub in group?.into_types() {
                            func_types.push(match &sub.composite_type.inner {
                                CompositeInnerType::Func(f) => {
                                    Some((f.params().to_vec(), f.results().to_vec()))
                                }
                                _ => None,
                            });
                        }
                    }
                }
                Payload::ImportSection(reader) => {
                    for import in reader {
                        let import = import?;
                        match import.ty {
                            TypeRef::Func(ty) => {
                                if import.module == "vm_hooks" && import.name == PAY_FOR_MEMORY_GROW {
                                    facts.pay_func = Some(facts.imported_funcs);
                                    pay_type = Some(ty);
                                }
                                facts.imported_funcs += 1;
                            }
                            TypeRef::Global(_) => facts.imported_globals += 1,
                            TypeRef::Memory(memory) => memories.push(memory),
                            TypeRef::Table(_) | TypeRef::Tag(_) => {}
                        }
                    }
                }
                Payload::MemorySection(reader) => {
                    for memory in reader {
                        memories.push(memory?);
                    }
                }
                Payload::GlobalSection(reader) => facts.defined_globals = reader.count(),
                Payload::ExportSection(reader) => {
                    for export in reader {
                        facts.exports.insert(export?.name.to_owned());
                    }
                }
                _ => {}
            }
        }
        facts.param_counts = func_types
            .iter()
            .map(|ty| ty.as_ref().and_then(|(params, _)| u32::try_from(params.len()).ok()))
            .collect();
        facts.growable_memory = memories.first().is_some_and(|m| m.maximum != Some(m.initial));
        facts.pay_func_type_ok = pay_type
            .and_then(|ty| usize::try_from(ty).ok())
            .and_then(|ty| func_types.get(ty).cloned().flatten())
            .is_some_and(|(params, results)| params == [wasmparser::ValType::I32] && results.is_empty());
        Ok(facts)
    }
}

/// Indices of the globals the meter adds.
#[derive(Clone, Copy)]
struct MeterGlobals {
    ink: u32,
    status: u32,
    scratch: u32,
}

/// What has to be put in front of an opcode besides its block's header.
#[derive(Clone, Copy)]
enum Prelude {
    None,
    /// Charge `size ×` this many ink (`memory.fill`, `memory.copy`).
    PerByte(u64),
    /// Call `pay_for_memory_grow` (function index) with the page count.
    PayForGrow(u32),
}

/// Section ids in the order the wasm spec requires them; custom sections (0) may go anywhere.
const SECTION_ORDER: [u8; 13] = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];
const GLOBAL_SECTION: u8 = 6;
const EXPORT_SECTION: u8 = 7;
const CODE_SECTION: u8 = 10;

fn section_rank(id: u8) -> Option<usize> {
    SECTION_ORDER.iter().position(|x| *x == id)
}

/// Adds Nitro's ink metering to a Stylus wasm module (see the [module
/// docs](self) for the rules): three exported globals ([`STYLUS_INK_LEFT`],
/// [`STYLUS_INK_STATUS`], [`STYLUS_SCRATCH_GLOBAL`]), a check-and-subtract
/// header at the head of every basic block, per-byte charges in front of
/// `memory.fill`/`memory.copy`, and a `pay_for_memory_grow` call in front of
/// `memory.grow` when the memory may grow. Function and existing global
/// indices do not change. The globals start at 0: set the budget with
/// [`set_ink_left`] or [`InkGlobals::set_ink`] before calling into the program.
///
/// # Errors
/// [`MeterError::Invalid`] for input that does not validate,
/// [`MeterError::AlreadyExported`] when a meter global's name is taken,
/// [`MeterError::UnsupportedOpcode`] for bulk-memory/table opcodes Nitro
/// refuses, [`MeterError::MissingPayForMemoryGrow`] and
/// [`MeterError::PayForMemoryGrowType`] for a growable memory without the
/// right import.
pub fn instrument(wasm: &[u8]) -> Result<Vec<u8>, MeterError> {
    Validator::new().validate_all(wasm)?;
    let facts = ModuleFacts::read(wasm)?;
    for name in [STYLUS_INK_LEFT, STYLUS_INK_STATUS, STYLUS_SCRATCH_GLOBAL] {
        if facts.exports.contains(name) {
            return Err(MeterError::AlreadyExported(name));
        }
    }
    let pay_func = if facts.growable_memory {
        let func = facts.pay_func.ok_or(MeterError::MissingPayForMemoryGrow)?;
        if !facts.pay_func_type_ok {
            return Err(MeterError::PayForMemoryGrowType);
        }
        Some(func)
    } else {
        None
    };
    let first = facts.imported_globals + facts.defined_globals;
    let globals = MeterGlobals { ink: first, status: first + 1, scratch: first + 2 };

    let mut out = wasm_encoder::Module::new();
    let mut globals_done = false;
    let mut exports_done = false;
    let mut code: Option<wasm_encoder::CodeSection> = None;
    let mut function = facts.imported_funcs;
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload?;
        if let Payload::CodeSectionEntry(body) = &payload {
            let body = instrument_body(wasm, body, function, &facts, globals, pay_func)?;
            code.get_or_insert_with(wasm_encoder::CodeSection::new).raw(&body);
            function += 1;
            continue;
        }
        if let Some(section) = code.take() {
            out.section(&section);
        }
        let Some((id, range)) = payload.as_section() else { continue };
        let rank = section_rank(id);
        if !globals_done && rank > section_rank(GLOBAL_SECTION) {
            out.section(&RawSection { id: GLOBAL_SECTION, data: &globals_section(&[], 0) });
            globals_done = true;
        }
        if !exports_done && rank > section_rank(EXPORT_SECTION) {
            out.section(&RawSection { id: EXPORT_SECTION, data: &exports_section(&[], 0, globals) });
            exports_done = true;
        }
        let data = &wasm[range.clone()];
        match id {
            GLOBAL_SECTION => {
                let (count, entries) = split_count(data, range.start)?;
                out.section(&RawSection { id, data: &globals_section(entries, count) });
                globals_done = true;
            }
            EXPORT_SECTION => {
                let (count, entries) = split_count(data, range.start)?;
                out.section(&RawSection { id, data: &exports_section(entries, count, globals) });
                exports_done = true;
            }
            // Rebuilt from the entries that follow.
            CODE_SECTION => {}
            _ => {
                out.section(&RawSection { id, data });
            }
        }
    }
    if let Some(section) = code.take() {
        out.section(&section);
    }
    if !globals_done {
        out.section(&RawSection { id: GLOBAL_SECTION, data: &globals_section(&[], 0) });
    }
    if !exports_done {
        out.section(&RawSection { id: EXPORT_SECTION, data: &exports_section(&[], 0, globals) });
    }
    Ok(out.finish())
}

/// Splits a vector section's contents into its entry count and the raw entries.
fn split_count(data: &[u8], offset: usize) -> Result<(u32, &[u8]), MeterError> {
    let mut reader = wasmparser::BinaryReader::new(data, offset, wasmparser::WasmFeatures::default());
    let count = reader.read_var_u32()?;
    Ok((count, &data[reader.original_position() - offset..]))
}

/// The global section: the existing entries, then ink left (`i64`), ink status (`i32`) and scratch (`i32`).
fn globals_section(entries: &[u8], count: u32) -> Vec<u8> {
    let mut data = Vec::new();
    (count + 3).encode(&mut data);
    data.extend_from_slice(entries);
    let var = |val_type| GlobalType { val_type, mutable: true, shared: false };
    var(ValType::I64).encode(&mut data);
    ConstExpr::i64_const(0).encode(&mut data);
    for _ in 0..2 {
        var(ValType::I32).encode(&mut data);
        ConstExpr::i32_const(0).encode(&mut data);
    }
    data
}

/// The export section: the existing entries, then the three meter globals.
fn exports_section(entries: &[u8], count: u32, globals: MeterGlobals) -> Vec<u8> {
    let mut data = Vec::new();
    (count + 3).encode(&mut data);
    data.extend_from_slice(entries);
    for (name, index) in [
        (STYLUS_INK_LEFT, globals.ink),
        (STYLUS_INK_STATUS, globals.status),
        (STYLUS_SCRATCH_GLOBAL, globals.scratch),
    ] {
        name.encode(&mut data);
        ExportKind::Global.encode(&mut data);
        index.encode(&mut data);
    }
    data
}

/// One function body with its blocks metered. The original opcodes are
/// copied byte for byte; only the inserted code is encoded.
fn instrument_body(
    wasm: &[u8],
    body: &FunctionBody<'_>,
    function: u32,
    facts: &ModuleFacts,
    globals: MeterGlobals,
    pay_func: Option<u32>,
) -> Result<Vec<u8>, MeterError> {
    let mut ops = body.get_operators_reader()?;
    let mut out = wasm[body.range().start..ops.original_position()].to_vec();
    let mut block: Vec<(Range<usize>, Prelude)> = Vec::new();
    let mut block_cost = 0_u64;
    while !ops.eof() {
        let (op, start) = ops.read_with_offset()?;
        let range = start..ops.original_position();
        let prelude = match &op {
            Operator::MemoryFill { .. } => Prelude::PerByte(MEMORY_FILL_INK),
            Operator::MemoryCopy { .. } => Prelude::PerByte(MEMORY_COPY_INK),
            Operator::MemoryGrow { .. } => pay_func.map_or(Prelude::None, Prelude::PayForGrow),
            Operator::MemoryInit { .. }
            | Operator::DataDrop { .. }
            | Operator::ElemDrop { .. }
            | Operator::TableInit { .. }
            | Operator::TableCopy { .. }
            | Operator::TableFill { .. }
            | Operator::TableGet { .. }
            | Operator::TableSet { .. }
            | Operator::TableGrow { .. }
            | Operator::TableSize { .. } => {
                return Err(MeterError::UnsupportedOpcode {
                    function,
                    offset: start,
                    opcode: format!("{op:?}"),
                })
            }
            _ => Prelude::None,
        };
        block_cost = block_cost.saturating_add(opcode_ink(&op, &facts.param_counts));
        block.push((range, prelude));
        if ends_basic_block(&op) {
            let cost = block_cost.saturating_add(INK_HEADER_COST);
            emit_header(&mut out, globals, cost);
            for (range, prelude) in block.drain(..) {
                match prelude {
                    Prelude::None => {}
                    Prelude::PerByte(ink) => emit_per_byte(&mut out, globals, ink),
                    Prelude::PayForGrow(func) => emit_pay_for_grow(&mut out, globals, func),
                }
                out.extend_from_slice(&wasm[range]);
            }
            block_cost = 0;
        }
    }
    // A validated body ends with `end`, which ends a block: nothing is left over.
    debug_assert!(block.is_empty());
    Ok(out)
}

fn emit(out: &mut Vec<u8>, instructions: &[Instruction<'_>]) {
    for instruction in instructions {
        instruction.encode(out);
    }
}

/// Nitro `meter.rs`, `FuncMeter::feed`: if `ink < cost` then `status = 1`
/// and trap; `ink -= cost`.
fn emit_header(out: &mut Vec<u8>, globals: MeterGlobals, cost: u64) {
    let cost = cost.cast_signed();
    emit(
        out,
        &[
            Instruction::GlobalGet(globals.ink),
            Instruction::I64Const(cost),
            Instruction::I64LtU,
            Instruction::If(BlockType::Empty),
            Instruction::I32Const(1),
            Instruction::GlobalSet(globals.status),
            Instruction::Unreachable,
            Instruction::End,
            Instruction::GlobalGet(globals.ink),
            Instruction::I64Const(cost),
            Instruction::I64Sub,
            Instruction::GlobalSet(globals.ink),
        ],
    );
}

/// Nitro `dynamic.rs`, `FuncDynamicMeter::feed`: with the size on top of
/// the stack, `ink -= size × per_byte`; if that wrapped, `status = 1` and trap.
fn emit_per_byte(out: &mut Vec<u8>, globals: MeterGlobals, per_byte: u64) {
    emit(
        out,
        &[
            Instruction::GlobalSet(globals.scratch),
            Instruction::GlobalGet(globals.ink),
            Instruction::GlobalGet(globals.ink),
            Instruction::GlobalGet(globals.scratch),
            Instruction::I64ExtendI32U,
            Instruction::I64Const(per_byte.cast_signed()),
            Instruction::I64Mul,
            Instruction::I64Sub,
            Instruction::GlobalSet(globals.ink),
            Instruction::GlobalGet(globals.ink),
            Instruction::I64LtU,
            Instruction::If(BlockType::Empty),
            Instruction::I32Const(1),
            Instruction::GlobalSet(globals.status),
            Instruction::Unreachable,
            Instruction::End,
            Instruction::GlobalGet(globals.scratch),
        ],
    );
}

/// Nitro `heap.rs`, `FuncHeapBound::feed`: call `pay_for_memory_grow` with
/// the page count, keeping it on the stack for `memory.grow`.
fn emit_pay_for_grow(out: &mut Vec<u8>, globals: MeterGlobals, func: u32) {
    emit(
        out,
        &[
            Instruction::GlobalSet(globals.scratch),
            Instruction::GlobalGet(globals.scratch),
            Instruction::GlobalGet(globals.scratch),
            Instruction::Call(func),
        ],
    );
}

// ---------------------------------------------------------------------------
// Reading and charging ink from the host.
// ---------------------------------------------------------------------------

/// The meter as the host sees it (Nitro `meter.rs`, `MachineMeter`): a
/// nonzero status means exhausted, whatever the ink global holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MachineMeter {
    /// Ink left.
    Ready(u64),
    /// The program ran out of ink.
    Exhausted,
}

impl MachineMeter {
    /// Ink left; 0 when exhausted.
    pub fn ink(self) -> u64 {
        match self {
            Self::Ready(ink) => ink,
            Self::Exhausted => 0,
        }
    }

    /// The status global's value: 0 ready, 1 exhausted.
    pub fn status(self) -> u32 {
        match self {
            Self::Ready(_) => 0,
            Self::Exhausted => 1,
        }
    }
}

/// The program ran out of ink (Nitro `meter.rs`, `OutOfInkError`). A host
/// function returns it as a trap (`wasmi::Error::from(OutOfInk)`) after the
/// meter was set to [`MachineMeter::Exhausted`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfInk;

impl fmt::Display for OutOfInk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("out of ink")
    }
}

impl std::error::Error for OutOfInk {}

impl wasmi::errors::HostError for OutOfInk {}

impl From<OutOfInk> for wasmi::Error {
    fn from(e: OutOfInk) -> Self {
        wasmi::Error::host(e)
    }
}

/// The ink globals of an instrumented instance, resolved once; reads and
/// charges ink as Nitro's `MeteredMachine` does (Nitro `meter.rs`).
#[derive(Clone, Copy, Debug)]
pub struct InkGlobals {
    ink: Global,
    status: Global,
}

impl InkGlobals {
    /// The ink globals exported by `instance`.
    ///
    /// # Errors
    /// [`MeterError::MissingGlobal`] when the module was not instrumented,
    /// [`MeterError::GlobalType`] when a global has the wrong type.
    pub fn from_instance(store: impl AsContext, instance: &Instance) -> Result<Self, MeterError> {
        Self::new(&store, |name| instance.get_export(&store, name))
    }

    /// The ink globals of the instance calling a host function.
    ///
    /// # Errors
    /// As [`Self::from_instance`].
    pub fn from_caller<T>(caller: &Caller<'_, T>) -> Result<Self, MeterError> {
        Self::new(caller, |name| caller.get_export(name))
    }

    fn new(store: impl AsContext, export: impl Fn(&str) -> Option<Extern>) -> Result<Self, MeterError> {
        let global = |name: &'static str, content: wasmi::ValType| {
            let global = export(name).and_then(Extern::into_global).ok_or(MeterError::MissingGlobal(name))?;
            let ty = global.ty(&store);
            if ty.content() != content || ty.mutability() != Mutability::Var {
                return Err(MeterError::GlobalType(name));
            }
            Ok(global)
        };
        Ok(Self {
            ink: global(STYLUS_INK_LEFT, wasmi::ValType::I64)?,
            status: global(STYLUS_INK_STATUS, wasmi::ValType::I32)?,
        })
    }

    /// The raw value of the ink global (meaningful only while the status is 0).
    pub fn ink_left(&self, store: impl AsContext) -> u64 {
        match self.ink.get(store) {
            Val::I64(ink) => ink.cast_unsigned(),
            _ => 0,
        }
    }

    /// The raw value of the status global: 0 ready, 1 out of ink.
    pub fn status(&self, store: impl AsContext) -> u32 {
        match self.status.get(store) {
            Val::I32(status) => status.cast_unsigned(),
            _ => 0,
        }
    }

    /// Both globals read as Nitro's `MeteredMachine::ink_left`.
    pub fn meter(&self, store: impl AsContext) -> MachineMeter {
        match self.status(&store) {
            0 => MachineMeter::Ready(self.ink_left(&store)),
            _ => MachineMeter::Exhausted,
        }
    }

    /// Writes both globals (Nitro `MeteredMachine::set_meter`): the ink, 0 when exhausted, and the status.
    ///
    /// # Panics
    /// Never: the globals' types were checked when they were resolved.
    pub fn set_meter(&self, mut store: impl AsContextMut, meter: MachineMeter) {
        self.ink.set(&mut store, Val::I64(meter.ink().cast_signed())).expect("ink global is a mutable i64");
        self.status
            .set(&mut store, Val::I32(meter.status().cast_signed()))
            .expect("status global is a mutable i32");
    }

    /// Sets the ink left and clears the status (Nitro `MeteredMachine::set_ink`).
    pub fn set_ink(&self, store: impl AsContextMut, ink: u64) {
        self.set_meter(store, MachineMeter::Ready(ink));
    }

    /// The ink left, or [`OutOfInk`] (marking the meter exhausted) when the
    /// status is already set (Nitro `MeteredMachine::ink_ready`).
    ///
    /// # Errors
    /// [`OutOfInk`] when exhausted.
    pub fn ink_ready(&self, mut store: impl AsContextMut) -> Result<u64, OutOfInk> {
        match self.meter(&store) {
            MachineMeter::Ready(ink) => Ok(ink),
            MachineMeter::Exhausted => self.out_of_ink(&mut store),
        }
    }

    /// Charges `ink` (Nitro `MeteredMachine::buy_ink`); when there is not
    /// enough, marks the meter exhausted.
    ///
    /// # Errors
    /// [`OutOfInk`] when the ink left is below `ink` or already exhausted.
    pub fn buy_ink(&self, mut store: impl AsContextMut, ink: u64) -> Result<(), OutOfInk> {
        let left = self.ink_ready(&mut store)?;
        if left < ink {
            return self.out_of_ink(&mut store);
        }
        self.set_ink(&mut store, left - ink);
        Ok(())
    }

    /// Checks that `ink` is left without charging it (Nitro `MeteredMachine::require_ink`).
    ///
    /// # Errors
    /// [`OutOfInk`] (and the meter exhausted) when less is left.
    pub fn require_ink(&self, mut store: impl AsContextMut, ink: u64) -> Result<(), OutOfInk> {
        let left = self.ink_ready(&mut store)?;
        if left < ink {
            return self.out_of_ink(&mut store);
        }
        Ok(())
    }

    /// Charges `gas` at `ink_price` (Nitro `GasMeteredMachine::buy_gas`).
    ///
    /// # Errors
    /// As [`Self::buy_ink`].
    pub fn buy_gas(&self, store: impl AsContextMut, gas: u64, ink_price: u32) -> Result<(), OutOfInk> {
        self.buy_ink(store, gas_to_ink(gas, ink_price))
    }

    /// Gas left at `ink_price` (Nitro `GasMeteredMachine::gas_left`).
    ///
    /// # Errors
    /// [`OutOfInk`] when exhausted.
    pub fn gas_left(&self, store: impl AsContextMut, ink_price: u32) -> Result<u64, OutOfInk> {
        Ok(ink_to_gas(self.ink_ready(store)?, ink_price))
    }

    fn out_of_ink<T>(&self, store: impl AsContextMut) -> Result<T, OutOfInk> {
        self.set_meter(store, MachineMeter::Exhausted);
        Err(OutOfInk)
    }
}

/// The raw ink global of an instrumented `instance`.
///
/// # Errors
/// [`MeterError::MissingGlobal`] or [`MeterError::GlobalType`] when `instance` is not instrumented.
pub fn ink_left(store: impl AsContext, instance: &Instance) -> Result<u64, MeterError> {
    Ok(InkGlobals::from_instance(&store, instance)?.ink_left(&store))
}

/// Gives an instrumented `instance` `ink` and clears its status.
///
/// # Errors
/// As [`ink_left`].
pub fn set_ink_left(mut store: impl AsContextMut, instance: &Instance, ink: u64) -> Result<(), MeterError> {
    InkGlobals::from_instance(&store, instance)?.set_ink(&mut store, ink);
    Ok(())
}

/// The ink status of an instrumented `instance`: 0 ready, 1 out of ink.
///
/// # Errors
/// As [`ink_left`].
pub fn ink_status(store: impl AsContext, instance: &Instance) -> Result<u32, MeterError> {
    Ok(InkGlobals::from_instance(&store, instance)?.status(&store))
}
