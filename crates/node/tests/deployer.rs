//! `cargo stylus deploy` of a contract with a constructor, request for
//! request: the `StylusDeployer` at its canonical address deploys, activates
//! and constructs the program in one transaction. Needs the contracts' wasm
//! (`scripts/build-wasm`).

mod support;

use alloy_primitives::{address, hex, keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::{sol, SolCall, SolEvent, SolValue};
use serde_json::{json, Value};
use support::{
    deployment_code, eip1559, packed_flash_containment, parse_quantity, sign, signer, Node, CHAIN_ID, DEV,
};

sol! {
    function activateProgram(address program) external payable returns (uint16 version, uint256 dataFee);
    function codehashVersion(bytes32 codehash) external view returns (uint16 version);
    function deploy(bytes bytecode, bytes initData, uint256 initValue, bytes32 salt)
        external payable returns (address);
    event ContractDeployed(address deployedContract);
    function stylusConstructor(address admin);
    function hasRole(bytes32 role, address account) external view returns (bool);
    function paused() external view returns (bool);
}

const STYLUS_DEPLOYER: Address = address!("cEcba2F1DC234f70Dd89F2041029807F8D03A990");
const ARB_WASM: Address = address!("0000000000000000000000000000000000000071");
const ETHER: u128 = 1_000_000_000_000_000_000;
/// `ProgramNotActivated()`.
const NOT_ACTIVATED: &str = "0x6f809c4e";
/// FlashContainment's admin role (`vault_access::ADMIN_ROLE`, OpenZeppelin's
/// `DEFAULT_ADMIN_ROLE`).
const ADMIN_ROLE: B256 = B256::ZERO;

fn call_object(from: Address, to: Address, data: &[u8], value: U256) -> Value {
    json!({"from": from, "to": to, "data": Bytes::copy_from_slice(data), "value": value})
}

fn bytes_of(value: &Value) -> Vec<u8> {
    hex::decode(value.as_str().expect("hex").trim_start_matches("0x")).expect("hex")
}

/// `stylus_constructor()` ‖ `(admin)`, as cargo-stylus builds the init data.
fn constructor_calldata(admin: Address) -> Vec<u8> {
    let mut data = keccak256("stylus_constructor()")[..4].to_vec();
    data.extend_from_slice(&stylusConstructorCall { admin }.abi_encode()[4..]);
    data
}

#[tokio::test]
async fn the_stylus_deployer_is_at_its_canonical_address() {
    let node = Node::start().await;
    let code = bytes_of(&node.result("eth_getCode", json!([STYLUS_DEPLOYER, "latest"])).await);
    assert!(code.len() > 1_000, "{} bytes", code.len());
    // An empty bytecode is refused with the deployer's own error.
    let call = deployCall {
        bytecode: Bytes::new(),
        initData: Bytes::new(),
        initValue: U256::ZERO,
        salt: B256::ZERO,
    };
    let error = node
        .error("eth_call", json!([call_object(DEV[0], STYLUS_DEPLOYER, &call.abi_encode(), U256::ZERO)]))
        .await;
    let empty = format!("0x{}", hex::encode(&keccak256("EmptyBytecode()")[..4]));
    assert_eq!((error["code"].clone(), error["data"].clone()), (json!(3), json!(empty)), "{error}");
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one request sequence, in order
async fn cargo_stylus_deploy_with_a_constructor_through_the_stylus_deployer() {
    let node = Node::start().await;
    let sender = DEV[0];
    let admin = DEV[1];
    let code = packed_flash_containment();
    let codehash = keccak256(&code);

    // 1. eth_chainId.
    assert_eq!(node.quantity("eth_chainId", json!([])).await, u128::from(CHAIN_ID));

    // 2. codehashVersion: not activated, code 3 with the revert bytes.
    let version_of_hash = codehashVersionCall { codehash }.abi_encode();
    let error =
        node.error("eth_call", json!([call_object(sender, ARB_WASM, &version_of_hash, U256::ZERO)])).await;
    assert_eq!((error["code"].clone(), error["data"].clone()), (json!(3), json!(NOT_ACTIVATED)), "{error}");

    // 3. The data fee: activateProgram with 1 ether, the code placed at a
    // scratch address by a state override.
    let scratch = address!("00000000000000000000000000000000000c0de5");
    let activate = activateProgramCall { program: scratch }.abi_encode();
    let overrides = json!({ scratch.to_string(): { "code": Bytes::from(code.clone()) } });
    let quote = node
        .result(
            "eth_call",
            json!([call_object(sender, ARB_WASM, &activate, U256::from(ETHER)), "latest", overrides]),
        )
        .await;
    let (version, data_fee) = <(u16, U256)>::abi_decode(&bytes_of(&quote), true).expect("(uint16, uint256)");
    assert_eq!(version, 2);
    assert!(data_fee > U256::ZERO && data_fee < U256::from(ETHER / 100), "fee {data_fee}");
    // The override left nothing behind.
    assert_eq!(node.result("eth_getCode", json!([scratch, "latest"])).await, json!("0x"));

    // 4. eth_getBalance.
    let balance_before = node.balance(sender).await;

    // 5. eth_estimateGas of StylusDeployer.deploy, the data fee bumped by
    // 20% as cargo-stylus does (the deployer refunds the excess).
    let value = data_fee * U256::from(120) / U256::from(100);
    let deploy = deployCall {
        bytecode: deployment_code(&code).into(),
        initData: constructor_calldata(admin).into(),
        initValue: U256::ZERO,
        salt: B256::ZERO,
    }
    .abi_encode();
    assert_eq!(deploy[..4], [0xa9, 0xa8, 0xe4, 0xe9]);
    let estimate =
        node.quantity("eth_estimateGas", json!([call_object(sender, STYLUS_DEPLOYER, &deploy, value)])).await;
    let estimate = u64::try_from(estimate).expect("u64");

    // 6. eth_gasPrice and eth_getTransactionCount.
    let gas_price = node.quantity("eth_gasPrice", json!([])).await;
    let nonce = u64::try_from(node.quantity("eth_getTransactionCount", json!([sender, "pending"])).await)
        .expect("u64");

    // 7. eth_sendRawTransaction: type 2, priority fee 0.
    let mut tx = eip1559(nonce, STYLUS_DEPLOYER, value);
    tx.input = deploy.into();
    tx.gas_limit = estimate;
    tx.max_fee_per_gas = gas_price;
    tx.max_priority_fee_per_gas = 0;
    let hash = node.result("eth_sendRawTransaction", json!([sign(&signer(0), tx)])).await;

    // 8. eth_blockNumber, eth_getBlockByNumber(n, false), the receipt.
    let number = node.quantity("eth_blockNumber", json!([])).await;
    let block = node.result("eth_getBlockByNumber", json!([format!("{number:#x}"), false])).await;
    assert_eq!(block["transactions"], json!([hash]), "{block}");
    let receipt = node.result("eth_getTransactionReceipt", json!([hash])).await;
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    assert_eq!(parse_quantity(&receipt["blockNumber"]), number);
    let logs = receipt["logs"].as_array().expect("logs");
    let deployed = logs
        .iter()
        .find(|log| log["address"] == json!(STYLUS_DEPLOYER))
        .map(|log| {
            let topics: Vec<B256> = serde_json::from_value(log["topics"].clone()).expect("topics");
            ContractDeployed::decode_raw_log(topics, &bytes_of(&log["data"]), true).expect("ContractDeployed")
        })
        .expect("a ContractDeployed log");
    let program = deployed.deployedContract;
    // CREATE from the deployer (its first creation, nonce 0 at genesis).
    assert_eq!(program, STYLUS_DEPLOYER.create(0));
    // Activation inside the transaction logged ProgramActivated from 0x71.
    let activated = keccak256("ProgramActivated(bytes32,bytes32,address,uint256,uint16)");
    assert!(
        logs.iter().any(|log| log["address"] == json!(ARB_WASM) && log["topics"][0] == json!(activated)),
        "{receipt}"
    );

    // The sender paid the gas and exactly the data fee: the bump came back.
    let gas_used = parse_quantity(&receipt["gasUsed"]);
    let effective = parse_quantity(&receipt["effectiveGasPrice"]);
    assert_eq!(node.balance(sender).await, balance_before - data_fee - U256::from(gas_used * effective));
    assert_eq!(node.balance(STYLUS_DEPLOYER).await, U256::ZERO);
    println!(
        "StylusDeployer.deploy of FlashContainment ({} bytes): {gas_used} gas (estimate {estimate}), data fee {data_fee} wei",
        code.len()
    );

    // The program is deployed, activated and constructed.
    assert_eq!(node.result("eth_getCode", json!([program, "latest"])).await, json!(Bytes::from(code)));
    let version =
        node.result("eth_call", json!([call_object(sender, ARB_WASM, &version_of_hash, U256::ZERO)])).await;
    assert_eq!(U256::from_be_slice(&bytes_of(&version)), U256::from(2));
    let has_role = |account| hasRoleCall { role: ADMIN_ROLE, account }.abi_encode();
    for (account, expected) in [(admin, true), (sender, false), (STYLUS_DEPLOYER, false)] {
        let answer = node
            .result("eth_call", json!([call_object(DEV[2], program, &has_role(account), U256::ZERO)]))
            .await;
        assert_eq!(
            bool::abi_decode(&bytes_of(&answer), true).expect("bool"),
            expected,
            "hasRole(admin, {account})"
        );
    }
    let paused = node
        .result("eth_call", json!([call_object(DEV[2], program, &pausedCall {}.abi_encode(), U256::ZERO)]))
        .await;
    assert!(!bool::abi_decode(&bytes_of(&paused), true).expect("bool"));

    // The constructor ran once: calling it again is refused.
    let again = constructor_calldata(sender);
    let error = node.error("eth_call", json!([call_object(sender, program, &again, U256::ZERO)])).await;
    assert_eq!(error["code"], json!(3), "{error}");
}
