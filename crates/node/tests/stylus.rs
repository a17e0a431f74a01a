//! Stylus over JSON-RPC, as on Nitro: a CREATE of packed Stylus code, the
//! `ArbWasm` precompile at `0x71` (activation, data fee, versions, errors),
//! and calls that fail until the program is activated. Needs the
//! contracts' wasm (`scripts/build-wasm`).

mod support;

use alloy_primitives::{hex, keccak256, Address, Bytes, TxKind, U256};
use alloy_sol_types::{sol, SolCall, SolValue};
use serde_json::{json, Value};
use support::{
    activated_flash_containment, constructor_calldata, deployment_code, has_role_gas,
    packed_flash_containment, parse_quantity, send, Node, ARB_WASM, BASE_FEE, DEV, ETHER,
};

sol! {
    function activateProgram(address program) external payable returns (uint16 version, uint256 dataFee);
    function stylusVersion() external view returns (uint16 version);
    function codehashVersion(bytes32 codehash) external view returns (uint16 version);
    function programVersion(address program) external view returns (uint16 version);
    function stylusConstructor(address admin);
    function grantRole(bytes32 role, address account);
    function hasRole(bytes32 role, address account) external view returns (bool);
    function paused() external view returns (bool);
    function programInitGas(address program) external view returns (uint64 gas, uint64 gasWhenCached);
    function codehashIsCached(bytes32 codehash) external view returns (bool);
}

const ARB_WASM_CACHE: &str = "0x0000000000000000000000000000000000000072";
const NETWORK_FEE_ACCOUNT: &str = "0xbF5041Fc07E1c866D15c749156657B8eEd0fb649";
/// `ProgramNotActivated()`.
const NOT_ACTIVATED: &str = "0x6f809c4e";

fn call_object(from: Address, to: &str, data: &[u8], value: U256) -> Value {
    json!({"from": from, "to": to, "data": Bytes::copy_from_slice(data), "value": value})
}

fn word(value: &Value) -> U256 {
    let bytes = hex::decode(value.as_str().expect("hex").trim_start_matches("0x")).expect("hex");
    U256::from_be_slice(&bytes)
}

/// Calls to the deployed but unactivated `program` fail as on Nitro.
async fn unactivated_calls_fail(node: &Node, program: Address, construct: &[u8]) {
    // Calling it before activation fails as on Nitro: no revert data, the
    // error's name in the message, all the gas of a transaction burnt.
    let to = format!("{program}");
    let error = node.error("eth_call", json!([call_object(DEV[0], &to, construct, U256::ZERO)])).await;
    assert_eq!(
        (error["code"].clone(), error["message"].clone()),
        (json!(-32_000), json!("error ProgramNotActivated()"))
    );
    assert!(error.get("data").is_none_or(Value::is_null), "{error}");
    let failed = send(node, 1, TxKind::Call(program), construct, U256::ZERO, Some(300_000)).await;
    assert_eq!(
        (failed["status"].clone(), failed["gasUsed"].clone()),
        (json!("0x0"), json!("0x493e0")),
        "{failed}"
    );
    let version_of_program = programVersionCall { program }.abi_encode();
    let error =
        node.error("eth_call", json!([call_object(DEV[0], ARB_WASM, &version_of_program, U256::ZERO)])).await;
    assert_eq!(error["data"], json!(NOT_ACTIVATED));
}

#[tokio::test]
async fn deploy_activate_and_call_a_stylus_contract() {
    let node = Node::start().await;
    let code = packed_flash_containment();
    let codehash = keccak256(&code);
    let version_of_hash = codehashVersionCall { codehash }.abi_encode();

    // Not activated yet: the revert `cargo stylus` looks for, code 3.
    let error =
        node.error("eth_call", json!([call_object(DEV[0], ARB_WASM, &version_of_hash, U256::ZERO)])).await;
    assert_eq!((error["code"].clone(), error["data"].clone()), (json!(3), json!(NOT_ACTIVATED)), "{error}");
    let stylus = node
        .result(
            "eth_call",
            json!([call_object(DEV[0], ARB_WASM, &stylusVersionCall {}.abi_encode(), U256::ZERO)]),
        )
        .await;
    assert_eq!(word(&stylus), U256::from(2));

    // Other 0xEF code is still refused (EIP-3541).
    let ef_code = deployment_code(&[0xEF, 0x00, 0x01]);
    let refused = send(&node, 1, TxKind::Create, &ef_code, U256::ZERO, Some(200_000)).await;
    assert_eq!(refused["status"], json!("0x0"), "{refused}");
    assert!(refused["contractAddress"].is_null());

    // A raw CREATE of the packed code, as `cargo stylus deploy` sends it.
    let receipt = send(&node, 0, TxKind::Create, &deployment_code(&code), U256::ZERO, None).await;
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    let program: Address = serde_json::from_value(receipt["contractAddress"].clone()).expect("address");
    assert_eq!(program, DEV[0].create(0));
    let deployed = node.result("eth_getCode", json!([program, "latest"])).await;
    assert_eq!(deployed, json!(Bytes::from(code.clone())));
    println!("deployment of {} bytes of code: {} gas", code.len(), parse_quantity(&receipt["gasUsed"]));

    let construct = constructor_calldata(DEV[0]);
    let to = format!("{program}");
    let version_of_program = programVersionCall { program }.abi_encode();
    unactivated_calls_fail(&node, program, &construct).await;

    // The data fee: too little value is refused with ProgramInsufficientValue.
    let activate = activateProgramCall { program }.abi_encode();
    let quote =
        node.result("eth_call", json!([call_object(DEV[0], ARB_WASM, &activate, U256::from(ETHER))])).await;
    let quote = hex::decode(quote.as_str().expect("hex").trim_start_matches("0x")).expect("hex");
    let (version, fee) = <(u16, U256)>::abi_decode(&quote, true).expect("(uint16, uint256)");
    assert_eq!(version, 2);
    assert!(fee > U256::ZERO && fee < U256::from(ETHER / 100), "fee {fee}");
    let error =
        node.error("eth_call", json!([call_object(DEV[0], ARB_WASM, &activate, fee - U256::from(1))])).await;
    let mut insufficient = keccak256("ProgramInsufficientValue(uint256,uint256)")[..4].to_vec();
    insufficient.extend((fee - U256::from(1), fee).abi_encode());
    assert_eq!((error["code"].clone(), error["data"].clone()), (json!(3), json!(Bytes::from(insufficient))));
    let gas = node
        .quantity("eth_estimateGas", json!([call_object(DEV[0], ARB_WASM, &activate, U256::from(ETHER))]))
        .await;
    assert!(gas > 1_659_168, "activation gas {gas}");

    // Activation with 1 ether: the fee goes to the network account, the rest comes back.
    let before = node.balance(DEV[0]).await;
    let fee_account: Address = NETWORK_FEE_ACCOUNT.parse().expect("address");
    let fees_before = node.balance(fee_account).await;
    let receipt =
        send(&node, 0, TxKind::Call(ARB_WASM.parse().expect("address")), &activate, U256::from(ETHER), None)
            .await;
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    let gas_used = parse_quantity(&receipt["gasUsed"]);
    println!("activation: data fee {fee} wei, {gas_used} gas (estimate {gas})");
    assert_eq!(node.balance(DEV[0]).await, before - fee - U256::from(gas_used * BASE_FEE));
    assert_eq!(node.balance(fee_account).await, fees_before + fee);
    assert_eq!(node.balance(ARB_WASM.parse().expect("address")).await, U256::ZERO);
    let logs = receipt["logs"].as_array().expect("logs");
    assert_eq!(logs.len(), 1);
    let topic = keccak256("ProgramActivated(bytes32,bytes32,address,uint256,uint16)");
    assert_eq!(logs[0]["topics"], json!([topic, codehash]));

    // Versions now answer; a second activation is ProgramUpToDate.
    for data in [&version_of_hash, &version_of_program] {
        let version = node.result("eth_call", json!([call_object(DEV[0], ARB_WASM, data, U256::ZERO)])).await;
        assert_eq!(word(&version), U256::from(2));
    }
    let error =
        node.error("eth_call", json!([call_object(DEV[0], ARB_WASM, &activate, U256::from(ETHER))])).await;
    let up_to_date = format!("0x{}", hex::encode(&keccak256("ProgramUpToDate()")[..4]));
    assert_eq!((error["code"].clone(), error["data"].clone()), (json!(3), json!(up_to_date)));

    // The constructor, a state change and views.
    let receipt = send(&node, 0, TxKind::Call(program), &construct, U256::ZERO, None).await;
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    println!("constructor: {} gas", parse_quantity(&receipt["gasUsed"]));
    let role = keccak256("POKER_ROLE");
    let has_role = hasRoleCall { role, account: DEV[1] }.abi_encode();
    let answer = node.result("eth_call", json!([call_object(DEV[2], &to, &has_role, U256::ZERO)])).await;
    assert_eq!(word(&answer), U256::ZERO);
    let grant = grantRoleCall { role, account: DEV[1] }.abi_encode();
    let receipt = send(&node, 0, TxKind::Call(program), &grant, U256::ZERO, None).await;
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    println!("grantRole: {} gas", parse_quantity(&receipt["gasUsed"]));
    let answer = node.result("eth_call", json!([call_object(DEV[2], &to, &has_role, U256::ZERO)])).await;
    assert_eq!(word(&answer), U256::from(1));
    let answer = node
        .result("eth_call", json!([call_object(DEV[2], &to, &pausedCall {}.abi_encode(), U256::ZERO)]))
        .await;
    assert_eq!(word(&answer), U256::ZERO);
    // Only the admin may grant: a revert with the contract's own error data.
    let error = node.error("eth_call", json!([call_object(DEV[2], &to, &grant, U256::ZERO)])).await;
    assert_eq!(error["code"], json!(3), "{error}");
}

#[tokio::test]
async fn calls_pay_the_entry_cost_cached_or_uncached() {
    let node = Node::start().await;
    let program = activated_flash_containment(&node).await;
    let codehash = keccak256(packed_flash_containment());

    // initCost and cachedCost from the deployed module, as activation computes them.
    let wasm = vault_wasm_pack::decode_code(&packed_flash_containment()).expect("decodes");
    let facts = vault_chain::arb_wasm::ModuleFacts::read(&wasm).expect("module");
    let (init_cost, cached_cost) = (u128::from(facts.init_cost()), u128::from(facts.cached_init_cost()));
    let init_gas = 69 * 128 + init_cost;
    let cached_gas = 11 * 32 + cached_cost;

    // ArbWasm's programInitGas: (initGas + cachedGas, cachedGas), as Nitro
    // answers at Stylus v2, where an uncached call pays both.
    let answer = node
        .result(
            "eth_call",
            json!([call_object(DEV[0], ARB_WASM, &programInitGasCall { program }.abi_encode(), U256::ZERO)]),
        )
        .await;
    let answer = hex::decode(answer.as_str().expect("hex").trim_start_matches("0x")).expect("hex");
    let (uncached, cached) = <(u64, u64)>::abi_decode(&answer, true).expect("(uint64, uint64)");
    assert_eq!((u128::from(uncached), u128::from(cached)), (init_gas + cached_gas, cached_gas));
    println!(
        "FlashContainment: initCost {init_cost}, cachedCost {cached_cost}; entry cost {uncached} uncached, \
         {cached} cached"
    );

    let is_cached = codehashIsCachedCall { codehash }.abi_encode();
    let cached_word = || async {
        word(
            &node
                .result("eth_call", json!([call_object(DEV[0], ARB_WASM_CACHE, &is_cached, U256::ZERO)]))
                .await,
        )
    };
    assert_eq!(cached_word().await, U256::ZERO);
    let (estimate_uncached, used_uncached) = has_role_gas(&node, program).await;

    // Cached: the same call costs initGas less.
    assert_eq!(node.result("vault_cacheProgram", json!([program])).await, json!(true));
    assert_eq!(node.result("vault_cacheProgram", json!([program])).await, json!(false));
    assert_eq!(cached_word().await, U256::from(1));
    let (estimate_cached, used_cached) = has_role_gas(&node, program).await;
    println!("hasRole: {used_uncached} gas uncached, {used_cached} gas cached");
    assert_eq!(used_uncached - used_cached, init_gas);
    assert_eq!(u128::from(uncached) - u128::from(cached), init_gas);
    assert_eq!(estimate_uncached - estimate_cached, init_gas);

    // Evicted: back to the uncached price.
    assert_eq!(node.result("vault_evictProgram", json!([program])).await, json!(true));
    assert_eq!(cached_word().await, U256::ZERO);
    assert_eq!(has_role_gas(&node, program).await, (estimate_uncached, used_uncached));

    // Only active programs can be cached: an EOA is ProgramNotActivated().
    let error = node.error("vault_cacheProgram", json!([DEV[2]])).await;
    assert_eq!((error["code"].clone(), error["data"].clone()), (json!(3), json!(NOT_ACTIVATED)), "{error}");
}
