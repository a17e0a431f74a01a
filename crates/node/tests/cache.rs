//! ArbOS's program cache over JSON-RPC, as on Arbitrum: Nitro's own
//! `CacheManager.sol` at genesis (Arbitrum One's address), the bids it
//! takes, `ArbWasmCache` (`0x72`) and `ArbOwnerPublic` (`0x6b`), and the
//! calls of a program priced uncached, then cached after a bid. Needs the
//! contracts' wasm (`scripts/build-wasm`).

mod support;

use alloy_primitives::{address, hex, keccak256, Address, Bytes, TxKind, B256, U256};
use alloy_sol_types::{sol, SolCall, SolValue};
use serde_json::{json, Value};
use support::{
    activated_flash_containment, has_role_gas, packed_flash_containment, parse_quantity, send, Node, DEV,
};

sol! {
    function allCacheManagers() external view returns (address[] managers);
    function isCacheManager(address manager) external view returns (bool);
    function cacheProgram(address program) external;
    function evictCodehash(bytes32 codehash) external;
    function codehashIsCached(bytes32 codehash) external view returns (bool);
    function codehashAsmSize(bytes32 codehash) external view returns (uint32 size);
    function isChainOwner(address addr) external view returns (bool);
    function getAllChainOwners() external view returns (address[] owners);
    function getNetworkFeeAccount() external view returns (address);
    function initialize(uint64 initCacheSize, uint64 initDecay) external;
    function cacheSize() external view returns (uint64);
    function queueSize() external view returns (uint64);
    function decay() external view returns (uint64);
    function isPaused() external view returns (bool);
    function placeBid(address program) external payable;
    function evictAll() external;
    function hasRole(bytes32 role, address account) external view returns (bool);
    #[sol(all_derives)]
    struct Entry { bytes32 code; uint64 size; uint192 bid; }
    function getEntries() external view returns (Entry[] memory);
    function getMinBid(uint64 size) external view returns (uint192 min);
}

const CACHE_MANAGER: Address = address!("51dEDBD2f190E0696AFbEE5E60bFdE96d86464ec");
const ARB_WASM: Address = address!("0000000000000000000000000000000000000071");
const ARB_WASM_CACHE: Address = address!("0000000000000000000000000000000000000072");
const ARB_OWNER_PUBLIC: Address = address!("000000000000000000000000000000000000006b");
/// `ProgramNotActivated()`.
const NOT_ACTIVATED: &str = "0x6f809c4e";

fn call_object(from: Address, to: Address, data: &[u8], value: U256) -> Value {
    json!({"from": from, "to": to, "data": Bytes::copy_from_slice(data), "value": value})
}

async fn view(node: &Node, to: Address, data: &[u8]) -> Vec<u8> {
    let answer = node.result("eth_call", json!([call_object(DEV[0], to, data, U256::ZERO)])).await;
    hex::decode(answer.as_str().expect("hex").trim_start_matches("0x")).expect("hex")
}

async fn is_cached(node: &Node, codehash: B256) -> bool {
    let answer = view(node, ARB_WASM_CACHE, &codehashIsCachedCall { codehash }.abi_encode()).await;
    bool::abi_decode(&answer, true).expect("bool")
}

#[tokio::test]
async fn the_cache_manager_is_predeployed_and_initialised() {
    let node = Node::start().await;
    let code = node.result("eth_getCode", json!([CACHE_MANAGER, "latest"])).await;
    assert!(code.as_str().expect("hex").len() > 8_000, "{code}");
    // ArbOS's precompiles carry ArbOS's one-byte code, so that Solidity's
    // code-size check before a call to them passes.
    for precompile in [ARB_WASM, ARB_WASM_CACHE, ARB_OWNER_PUBLIC] {
        assert_eq!(node.result("eth_getCode", json!([precompile, "latest"])).await, json!("0xfe"));
    }

    let managers = view(&node, ARB_WASM_CACHE, &allCacheManagersCall {}.abi_encode()).await;
    assert_eq!(<Vec<Address>>::abi_decode(&managers, true).expect("address[]"), vec![CACHE_MANAGER]);
    for (who, expected) in [(CACHE_MANAGER, true), (DEV[0], false)] {
        let answer = view(&node, ARB_WASM_CACHE, &isCacheManagerCall { manager: who }.abi_encode()).await;
        assert_eq!(bool::abi_decode(&answer, true).expect("bool"), expected, "{who}");
    }
    // The chain owner is dev account 0.
    let owners = view(&node, ARB_OWNER_PUBLIC, &getAllChainOwnersCall {}.abi_encode()).await;
    assert_eq!(<Vec<Address>>::abi_decode(&owners, true).expect("address[]"), vec![DEV[0]]);
    for (who, expected) in [(DEV[0], true), (DEV[1], false)] {
        let answer = view(&node, ARB_OWNER_PUBLIC, &isChainOwnerCall { addr: who }.abi_encode()).await;
        assert_eq!(bool::abi_decode(&answer, true).expect("bool"), expected, "{who}");
    }
    let fee_account = view(&node, ARB_OWNER_PUBLIC, &getNetworkFeeAccountCall {}.abi_encode()).await;
    assert_eq!(
        Address::abi_decode(&fee_account, true).expect("address"),
        address!("bF5041Fc07E1c866D15c749156657B8eEd0fb649")
    );

    // initialize(512 MiB, Nitro's decay) ran at genesis, and only then.
    let number = |data: Vec<u8>| U256::abi_decode(&data, true).expect("uint");
    assert_eq!(
        number(view(&node, CACHE_MANAGER, &cacheSizeCall {}.abi_encode()).await),
        U256::from(536_870_912)
    );
    assert_eq!(
        number(view(&node, CACHE_MANAGER, &decayCall {}.abi_encode()).await),
        U256::from(10_322_197_911_u64)
    );
    assert_eq!(number(view(&node, CACHE_MANAGER, &queueSizeCall {}.abi_encode()).await), U256::ZERO);
    assert_eq!(number(view(&node, CACHE_MANAGER, &isPausedCall {}.abi_encode()).await), U256::ZERO);
    let min_bid = getMinBidCall { size: 24 * 1024 }.abi_encode();
    assert_eq!(number(view(&node, CACHE_MANAGER, &min_bid).await), U256::ZERO);
    let again = initializeCall { initCacheSize: 1, initDecay: 1 }.abi_encode();
    let error = node.error("eth_call", json!([call_object(DEV[0], CACHE_MANAGER, &again, U256::ZERO)])).await;
    assert_eq!(error["code"], json!(3), "{error}");
    assert!(error["message"].as_str().unwrap_or_default().contains("already initialized"), "{error}");
    // Nothing at genesis but the funded dev accounts moved a nonce.
    assert_eq!(node.nonce(Address::ZERO).await, 0);
}

#[tokio::test]
async fn a_bid_caches_a_program_and_its_calls_are_priced_cached() {
    let node = Node::start().await;
    let program = activated_flash_containment(&node).await;
    let codehash = keccak256(packed_flash_containment());
    let wasm = vault_wasm_pack::decode_code(&packed_flash_containment()).expect("decodes");
    let facts = vault_chain::arb_wasm::ModuleFacts::read(&wasm).expect("module");
    let init_gas = 69 * 128 + u128::from(facts.init_cost());

    assert!(!is_cached(&node, codehash).await);
    let (estimate_uncached, used_uncached) = has_role_gas(&node, program).await;

    // Only a cache manager or a chain owner may cache directly: anyone else
    // burns all the gas, as Nitro's BurnOut.
    let direct = cacheProgramCall { program }.abi_encode();
    let refused = send(&node, 1, TxKind::Call(ARB_WASM_CACHE), &direct, U256::ZERO, Some(100_000)).await;
    assert_eq!(
        (refused["status"].clone(), refused["gasUsed"].clone()),
        (json!("0x0"), json!("0x186a0")),
        "{refused}"
    );
    assert!(!is_cached(&node, codehash).await);

    // A bid of 0 by anyone (cargo stylus cache bid <address> 0): the cache is empty.
    let bid = placeBidCall { program }.abi_encode();
    let receipt = send(&node, 1, TxKind::Call(CACHE_MANAGER), &bid, U256::ZERO, None).await;
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    let logs = receipt["logs"].as_array().expect("logs");
    let update = keccak256("UpdateProgramCache(address,bytes32,bool)");
    let insert = keccak256("InsertBid(bytes32,address,uint192,uint64)");
    let topic = |log: &Value| log["topics"][0].as_str().unwrap_or_default().to_string();
    let update_log = logs.iter().find(|l| topic(l) == update.to_string()).expect("UpdateProgramCache");
    assert_eq!(update_log["address"], json!(ARB_WASM_CACHE));
    assert_eq!(update_log["topics"][1], json!(B256::left_padding_from(CACHE_MANAGER.as_slice())));
    assert_eq!(update_log["topics"][2], json!(codehash));
    assert!(logs.iter().any(|l| topic(l) == insert.to_string() && l["address"] == json!(CACHE_MANAGER)));
    assert!(is_cached(&node, codehash).await);
    println!("placeBid: {} gas", parse_quantity(&receipt["gasUsed"]));

    // The manager's queue holds the program at Nitro's asm size (whole KiB).
    let asm = view(&node, ARB_WASM, &codehashAsmSizeCall { codehash }.abi_encode()).await;
    let asm = U256::abi_decode(&asm, true).expect("uint32");
    assert_eq!(asm % U256::from(1024), U256::ZERO);
    let queue = view(&node, CACHE_MANAGER, &queueSizeCall {}.abi_encode()).await;
    assert_eq!(U256::abi_decode(&queue, true).expect("uint64"), asm.max(U256::from(4096)));
    let entries = view(&node, CACHE_MANAGER, &getEntriesCall {}.abi_encode()).await;
    let entries = <Vec<Entry>>::abi_decode(&entries, true).expect("Entry[]");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].code, codehash);

    // Cached: the same call costs initGas less.
    let (estimate_cached, used_cached) = has_role_gas(&node, program).await;
    println!("hasRole: {used_uncached} gas uncached, {used_cached} gas cached after the bid");
    assert_eq!(used_uncached - used_cached, init_gas);
    assert_eq!(estimate_uncached - estimate_cached, init_gas);

    // A second bid: AlreadyCached(codehash), code 3 with the error's bytes.
    let error = node.error("eth_call", json!([call_object(DEV[1], CACHE_MANAGER, &bid, U256::ZERO)])).await;
    let mut expected = keccak256("AlreadyCached(bytes32)")[..4].to_vec();
    expected.extend_from_slice(codehash.as_slice());
    assert_eq!(
        (error["code"].clone(), error["data"].clone()),
        (json!(3), json!(Bytes::from(expected))),
        "{error}"
    );

    // A bid for an account that is not an activated program: ArbWasm's
    // ProgramNotActivated() comes back through the manager.
    let eoa = placeBidCall { program: DEV[2] }.abi_encode();
    let error = node.error("eth_call", json!([call_object(DEV[1], CACHE_MANAGER, &eoa, U256::ZERO)])).await;
    assert_eq!((error["code"].clone(), error["data"].clone()), (json!(3), json!(NOT_ACTIVATED)), "{error}");

    // Only a chain owner may clear the manager's cache (ArbOwnerPublic):
    // dev account 1 gets NotChainOwner, dev account 0 evicts everything.
    let evict_all = evictAllCall {}.abi_encode();
    let error =
        node.error("eth_call", json!([call_object(DEV[1], CACHE_MANAGER, &evict_all, U256::ZERO)])).await;
    let mut expected = keccak256("NotChainOwner(address)")[..4].to_vec();
    expected.extend_from_slice(B256::left_padding_from(DEV[1].as_slice()).as_slice());
    assert_eq!(error["data"], json!(Bytes::from(expected)), "{error}");
    let receipt = send(&node, 0, TxKind::Call(CACHE_MANAGER), &evict_all, U256::ZERO, None).await;
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    assert!(!is_cached(&node, codehash).await);
    let queue = view(&node, CACHE_MANAGER, &queueSizeCall {}.abi_encode()).await;
    assert_eq!(U256::abi_decode(&queue, true).expect("uint64"), U256::ZERO);
    assert_eq!(has_role_gas(&node, program).await, (estimate_uncached, used_uncached));

    // The chain owner may also cache and evict through ArbWasmCache itself;
    // a reverted transaction leaves the cache as it was.
    let receipt = send(&node, 0, TxKind::Call(ARB_WASM_CACHE), &direct, U256::ZERO, None).await;
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    assert!(is_cached(&node, codehash).await);
    let evict = evictCodehashCall { codehash }.abi_encode();
    let too_little = send(&node, 0, TxKind::Call(ARB_WASM_CACHE), &evict, U256::ZERO, Some(30_000)).await;
    assert_eq!(too_little["status"], json!("0x0"), "{too_little}");
    assert!(is_cached(&node, codehash).await);
    let receipt = send(&node, 0, TxKind::Call(ARB_WASM_CACHE), &evict, U256::ZERO, None).await;
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    assert!(!is_cached(&node, codehash).await);
    // Caching a code hash never activated: ProgramNeedsUpgrade(0, 2), as Nitro.
    let error = node
        .error(
            "eth_call",
            json!([call_object(
                DEV[0],
                ARB_WASM_CACHE,
                &cacheProgramCall { program: DEV[2] }.abi_encode(),
                U256::ZERO
            )]),
        )
        .await;
    let mut expected = keccak256("ProgramNeedsUpgrade(uint16,uint16)")[..4].to_vec();
    expected.extend(U256::ZERO.to_be_bytes::<32>());
    expected.extend(U256::from(2).to_be_bytes::<32>());
    assert_eq!(error["data"], json!(Bytes::from(expected)), "{error}");
}
