//! Hostio behaviour with small hand-written WAT programs: nested calls of
//! each kind, revert propagation and rollback, static-context protection,
//! out-of-bounds traps and unknown imports.

use alloy_primitives::{address, Address, B256, U256};
use vault_chain::{ChainError, World};

const PROXY: Address = address!("0000000000000000000000000000000000000a01");
const WRITER: Address = address!("0000000000000000000000000000000000000a02");
const USER: Address = address!("0000000000000000000000000000000000000a03");

fn deploy_wat(world: &mut World, address: Address, wat: &str) -> Result<(), ChainError> {
    let wasm = wat::parse_str(wat).expect("fixture parses");
    world.deploy_stylus(address, &wasm)
}

fn world() -> World {
    let mut world = World::new();
    deploy_wat(&mut world, PROXY, include_str!("fixtures/proxy.wat")).unwrap();
    deploy_wat(&mut world, WRITER, include_str!("fixtures/writer.wat")).unwrap();
    world
}

/// Proxy calldata: mode ‖ target ‖ inner.
fn via_proxy(mode: u8, target: Address, inner: &[u8]) -> Vec<u8> {
    let mut data = vec![mode];
    data.extend_from_slice(target.as_slice());
    data.extend_from_slice(inner);
    data
}

fn writer_input(word: B256, revert: bool) -> Vec<u8> {
    let mut data = word.to_vec();
    data.push(u8::from(revert));
    data
}

const WORD: B256 = B256::repeat_byte(0x42);

#[test]
fn call_runs_callee_in_its_own_frame() {
    let mut world = world();
    let outcome = world.call(USER, PROXY, &via_proxy(0, WRITER, &writer_input(WORD, false)), U256::ZERO);
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(outcome.return_data[..32], [0u8; 32], "callee status 0");
    // The writer saw the proxy as sender and itself as the contract.
    assert_eq!(&outcome.return_data[32..52], PROXY.as_slice());
    assert_eq!(&outcome.return_data[52..72], WRITER.as_slice());
    assert_eq!(world.storage(WRITER, U256::from(1)), WORD);
    assert_eq!(world.storage(PROXY, U256::from(0)), B256::from(U256::from(1)));
    assert_eq!(outcome.logs.len(), 1);
    assert_eq!((outcome.logs[0].address, outcome.logs[0].topics()), (WRITER, &[WORD][..]));
}

#[test]
fn callee_revert_propagates_data_and_rolls_back_only_the_callee() {
    let mut world = world();
    let outcome = world.call(USER, PROXY, &via_proxy(0, WRITER, &writer_input(WORD, true)), U256::ZERO);
    assert!(outcome.success, "the proxy itself succeeds: {outcome:?}");
    assert_eq!(outcome.return_data[31], 1, "callee status 1");
    assert_eq!(&outcome.return_data[32..], b"nope");
    assert_eq!(world.storage(WRITER, U256::from(1)), B256::ZERO, "callee write undone");
    assert!(outcome.logs.is_empty(), "callee log undone");
    assert_eq!(world.storage(PROXY, U256::from(0)), B256::from(U256::from(1)), "caller write kept");
}

#[test]
fn top_level_revert_rolls_back_everything() {
    let mut world = world();
    let outcome = world.call(USER, WRITER, &writer_input(WORD, true), U256::ZERO);
    assert!(!outcome.success);
    assert_eq!(outcome.return_data, b"nope");
    assert_eq!(outcome.error, None);
    assert_eq!(world.storage(WRITER, U256::from(1)), B256::ZERO);
    assert!(world.logs().is_empty());
}

#[test]
fn static_call_refuses_state_changes_in_the_callee() {
    let mut world = world();
    let outcome = world.call(USER, PROXY, &via_proxy(1, WRITER, &writer_input(WORD, false)), U256::ZERO);
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(outcome.return_data[31], 1, "callee trapped on its storage flush");
    assert_eq!(outcome.return_data.len(), 32, "a trap returns no data");
    assert_eq!(world.storage(WRITER, U256::from(1)), B256::ZERO);

    // At the top level the trap is reported.
    let outcome = world.static_call(USER, WRITER, &writer_input(WORD, false));
    assert!(!outcome.success);
    assert!(
        matches!(&outcome.error, Some(ChainError::Trap(why)) if why.contains("static")),
        "{:?}",
        outcome.error
    );
}

#[test]
fn delegate_call_runs_callee_code_on_caller_state() {
    let mut world = world();
    let outcome = world.call(USER, PROXY, &via_proxy(2, WRITER, &writer_input(WORD, false)), U256::ZERO);
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(&outcome.return_data[32..52], USER.as_slice(), "msg.sender is the proxy's caller");
    assert_eq!(&outcome.return_data[52..72], PROXY.as_slice(), "contract address is the proxy");
    assert_eq!(world.storage(PROXY, U256::from(1)), WORD);
    assert_eq!(world.storage(WRITER, U256::from(1)), B256::ZERO);
    assert_eq!(outcome.logs[0].address, PROXY);
}

#[test]
fn stylus_calls_evm_code_and_empty_accounts() {
    let mut world = world();
    // PUSH1 42 PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
    let evm = address!("0000000000000000000000000000000000000e0e");
    world.set_code(evm, vec![0x60, 0x2a, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3]);
    let outcome = world.call(USER, PROXY, &via_proxy(0, evm, &[1, 2, 3]), U256::ZERO);
    assert_eq!(outcome.return_data[31], 0, "{outcome:?}");
    assert_eq!(outcome.return_data[32..], U256::from(42).to_be_bytes::<32>());

    // INVALID: an exceptional halt fails the call and takes all its gas.
    let invalid = address!("0000000000000000000000000000000000000e10");
    world.set_code(invalid, vec![0xfe]);
    let outcome = world.call(USER, invalid, &[], U256::ZERO);
    assert!(matches!(outcome.error, Some(ChainError::EvmHalt(_))), "{outcome:?}");
    assert_eq!(outcome.gas_used, vault_chain::world::TX_GAS);

    let empty = address!("0000000000000000000000000000000000000e0f");
    let outcome = world.call(USER, PROXY, &via_proxy(0, empty, &[1, 2, 3]), U256::ZERO);
    assert_eq!((outcome.return_data[31], outcome.return_data.len()), (0, 32));
}

#[test]
fn out_of_bounds_memory_access_traps_cleanly() {
    let mut world = World::new();
    let oob = address!("0000000000000000000000000000000000000b0b");
    deploy_wat(&mut world, oob, include_str!("fixtures/oob.wat")).unwrap();
    let outcome = world.call(USER, oob, &[0; 16], U256::ZERO);
    assert!(!outcome.success);
    assert!(outcome.return_data.is_empty());
    match outcome.error {
        Some(ChainError::Trap(why)) => {
            assert!(why.contains("read_args") && why.contains("out of bounds"), "{why}");
        }
        other => panic!("expected a trap, got {other:?}"),
    }
}

#[test]
fn unknown_import_is_refused_at_deployment_and_at_call() {
    let mut world = World::new();
    let bad = address!("0000000000000000000000000000000000000bad");
    let error = deploy_wat(&mut world, bad, include_str!("fixtures/unknown_import.wat")).unwrap_err();
    assert_eq!(error, ChainError::UnknownImport { module: "vm_hooks".into(), name: "no_such_hook".into() });
    assert!(error.to_string().contains("vm_hooks::no_such_hook"));

    // Code stored without the check fails when called.
    let wasm = wat::parse_str(include_str!("fixtures/unknown_import.wat")).unwrap();
    world.set_code(bad, vault_wasm_pack::pack(&wasm).unwrap().code);
    let outcome = world.call(USER, bad, &[], U256::ZERO);
    assert!(matches!(outcome.error, Some(ChainError::UnknownImport { .. })), "{outcome:?}");
}

#[test]
fn hostio_list_covers_the_sdk() {
    let world = World::new();
    let hostios = world.runtime().hostios();
    for name in [
        "read_args",
        "write_result",
        "exit_early",
        "storage_load_bytes32",
        "storage_cache_bytes32",
        "storage_flush_cache",
        "transient_load_bytes32",
        "transient_store_bytes32",
        "msg_sender",
        "msg_value",
        "msg_reentrant",
        "tx_origin",
        "tx_gas_price",
        "tx_ink_price",
        "block_timestamp",
        "block_number",
        "block_basefee",
        "block_coinbase",
        "block_gas_limit",
        "chainid",
        "contract_address",
        "emit_log",
        "native_keccak256",
        "pay_for_memory_grow",
        "evm_gas_left",
        "evm_ink_left",
        "account_balance",
        "account_code",
        "account_code_size",
        "account_codehash",
        "return_data_size",
        "read_return_data",
        "call_contract",
        "static_call_contract",
        "delegate_call_contract",
        "create1",
        "create2",
    ] {
        assert!(hostios.contains(&name), "{name} missing");
    }
    assert_eq!(hostios.len(), 37);
}

#[test]
fn clock_advances_l1_estimate_slower_than_l2_blocks() {
    let mut world = World::new();
    let start = world.block().clone();
    for _ in 0..6 {
        world.advance(2);
    }
    assert_eq!(world.block().number, start.number + 6);
    assert_eq!(world.block().timestamp, start.timestamp + 12);
    assert_eq!(world.block().l1_number, start.l1_number + 1);
}

#[test]
fn console_prints_on_a_debug_chain_and_is_refused_otherwise() {
    let wat = r#"(module
        (import "console" "log_txt" (func $log_txt (param i32 i32)))
        (import "console" "log_i32" (func $log_i32 (param i32)))
        (memory (export "memory") 1 1)
        (data (i32.const 0) "gm")
        (func (export "user_entrypoint") (param i32) (result i32)
          (call $log_txt (i32.const 0) (i32.const 2))
          (call $log_i32 (i32.const -7))
          (i32.const 0)))"#;
    let mut world = World::new();
    deploy_wat(&mut world, PROXY, wat).unwrap();
    assert!(world.call(USER, PROXY, &[], U256::ZERO).success);
    assert_eq!(world.runtime().take_console(), ["gm", "-7"]);

    let mut production = World::new();
    production.runtime_mut().set_debug(false);
    let refused = deploy_wat(&mut production, PROXY, wat).unwrap_err();
    assert!(matches!(refused, ChainError::Pack(_)), "{refused:?}");
}
