//! Ink charged by the host, computed by hand on small WAT programs run as
//! transactions: the instrumented blocks (opcode prices + 2,450 per block
//! header) plus each hostio's own price plus its EVM gas at 10,000 ink per
//! gas. Prices: `vault_chain::meter` (Nitro `pricing_v1`, `pricing.rs`).

use alloy_primitives::{address, Address, U256};
use vault_chain::{meter, ChainError, World};

const PROGRAM: Address = address!("0000000000000000000000000000000000000b01");
const USER: Address = address!("0000000000000000000000000000000000000b02");

/// Block costs used below: `i32.const` 1, `call` 3,800, `end` 1, header 2,450.
const CONST: u64 = 1;
const CALL: u64 = 3_800;
const END: u64 = 1;
const HEADER: u64 = meter::INK_HEADER_COST;

fn run(wat: &str) -> vault_chain::CallOutcome {
    let mut world = World::new();
    world.deploy_stylus(PROGRAM, &wat::parse_str(wat).unwrap()).unwrap();
    world.call(USER, PROGRAM, &[], U256::ZERO)
}

#[test]
fn msg_sender_then_write_result() {
    let outcome = run(r#"(module
        (import "vm_hooks" "msg_sender" (func $msg_sender (param i32)))
        (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
        (memory (export "memory") 1 1)
        (func (export "user_entrypoint") (param i32) (result i32)
          (call $msg_sender (i32.const 0))
          (call $write_result (i32.const 0) (i32.const 20))
          (i32.const 0)))"#);
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(outcome.return_data, USER.to_vec());
    let blocks = (CONST + CALL + HEADER) + (2 * CONST + CALL + HEADER) + (CONST + END + HEADER);
    assert_eq!(blocks, 6_251 + 6_252 + 2_452);
    // msg_sender: 8,400 + one pointer 5,040. write_result of 20 bytes:
    // 8,400 + 2 × read_price(20) = 8,400 + 2 × 16,381.
    let hostios = (8_400 + 5_040) + (8_400 + 2 * 16_381);
    assert_eq!(outcome.ink_used, blocks + hostios);
    assert_eq!(outcome.ink_used, 69_557);
    // 21,000 intrinsic + the frame's ink rounded up to whole gas.
    assert_eq!(outcome.gas_used, 21_000 + 7);
}

#[test]
fn cold_then_cached_storage_load() {
    let outcome = run(r#"(module
        (import "vm_hooks" "storage_load_bytes32" (func $sload (param i32 i32)))
        (memory (export "memory") 1 1)
        (func (export "user_entrypoint") (param i32) (result i32)
          (call $sload (i32.const 0) (i32.const 32))
          (call $sload (i32.const 0) (i32.const 32))
          (i32.const 0)))"#);
    assert!(outcome.success, "{outcome:?}");
    let blocks = 2 * (2 * CONST + CALL + HEADER) + (CONST + END + HEADER);
    // Each load: 8,400 + two pointers. The first reads a cold slot (2,100
    // gas); the second is served by the storage cache (no gas).
    let hostios = 2 * (8_400 + 2 * 5_040) + 2_100 * 10_000;
    assert_eq!(outcome.ink_used, blocks + hostios);
    assert_eq!(outcome.ink_used, 21_051_916);
}

#[test]
fn emit_log_with_one_topic() {
    let outcome = run(r#"(module
        (import "vm_hooks" "emit_log" (func $emit_log (param i32 i32 i32)))
        (memory (export "memory") 1 1)
        (func (export "user_entrypoint") (param i32) (result i32)
          (call $emit_log (i32.const 0) (i32.const 64) (i32.const 1))
          (i32.const 0)))"#);
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(outcome.logs.len(), 1);
    let blocks = (3 * CONST + CALL + HEADER) + (CONST + END + HEADER);
    // 8,400 + EVM API 59,673 + read_price(64) = 16,381 + 55 × 32; then
    // the log's gas: 375 × (1 + 1 topic) + 8 × 32 data bytes = 1,006.
    let hostios = 8_400 + 59_673 + (16_381 + 55 * 32) + 1_006 * 10_000;
    assert_eq!(outcome.ink_used, blocks + hostios);
    assert_eq!(outcome.ink_used, 10_154_919);
}

#[test]
fn a_transaction_too_small_for_its_program_runs_out_of_ink() {
    let mut world = World::new();
    let wat = r#"(module
        (import "vm_hooks" "storage_load_bytes32" (func $sload (param i32 i32)))
        (memory (export "memory") 1 1)
        (func (export "user_entrypoint") (param i32) (result i32)
          (call $sload (i32.const 0) (i32.const 32))
          (i32.const 0)))"#;
    world.deploy_stylus(PROGRAM, &wat::parse_str(wat).unwrap()).unwrap();
    // The cold load alone needs 2,100 gas.
    let outcome = world.call_with_gas(USER, PROGRAM, &[], U256::ZERO, 21_000 + 2_000);
    assert_eq!(outcome.error, Some(ChainError::OutOfGas));
    assert_eq!(outcome.gas_used, 23_000, "all of it is consumed");
    let outcome = world.call_with_gas(USER, PROGRAM, &[], U256::ZERO, 21_000 + 2_200);
    assert!(outcome.success, "{outcome:?}");
    // Below the intrinsic gas, nothing runs.
    let outcome = world.call_with_gas(USER, PROGRAM, &[], U256::ZERO, 20_999);
    assert_eq!((outcome.error, outcome.ink_used), (Some(ChainError::OutOfGas), 0));
}
