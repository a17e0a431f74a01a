//! anvil's interval mining (`--block-time`), `--state FILE`, impersonation
//! with `eth_sendTransaction`, and state queries at older blocks, against
//! the `vault-node` binary over JSON-RPC.

mod support;

use std::time::{Duration, Instant};

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::{sol, SolCall, SolValue};
use serde_json::{json, Value};
use support::{eip1559, parse_quantity, sign, signer, Node, BASE_FEE, DEV};
use vault_chain::artifacts::Artifact;

sol! {
    function balanceOf(address account) external view returns (uint256);
    function transfer(address to, uint256 amount) external returns (bool);
    function tokenConstructor(string name, string symbol, uint8 decimals, address holder, uint256 supply);
}

const ETHER: u128 = 1_000_000_000_000_000_000;

fn hex_u256(value: &Value) -> U256 {
    value.as_str().unwrap_or_else(|| panic!("not a quantity: {value}")).parse().expect("U256")
}

async fn balance_at(node: &Node, who: Address, block: Value) -> U256 {
    hex_u256(&node.result("eth_getBalance", json!([who, block])).await)
}

async fn nonce_at(node: &Node, who: Address, block: &str) -> u128 {
    node.quantity("eth_getTransactionCount", json!([who, block])).await
}

/// Deploys the `TestToken` fixture from DEV[0] (1,000 tokens to DEV[0]) with
/// `eth_sendTransaction`; returns its address.
async fn deploy_token(node: &Node) -> Address {
    let artifact = Artifact::load("TestToken").unwrap_or_else(|e| panic!("{e}"));
    let args = tokenConstructorCall {
        name: "Test".into(),
        symbol: "TST".into(),
        decimals: 18,
        holder: DEV[0],
        supply: U256::from(1_000 * ETHER),
    };
    let mut init = artifact.bytecode.clone();
    init.extend_from_slice(&args.abi_encode()[4..]);
    let hash = node.result("eth_sendTransaction", json!([{"from": DEV[0], "data": Bytes::from(init)}])).await;
    let receipt = node.result("eth_getTransactionReceipt", json!([hash])).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    receipt["contractAddress"].as_str().expect("contract address").parse().expect("address")
}

async fn token_balance(node: &Node, token: Address, who: Address, block: Value) -> U256 {
    let call = json!({"to": token, "data": Bytes::from(balanceOfCall { account: who }.abi_encode())});
    let answer = node.result("eth_call", json!([call, block])).await;
    let raw: Bytes = serde_json::from_value(answer).expect("bytes");
    U256::abi_decode(&raw, true).expect("uint256")
}

#[tokio::test]
async fn interval_mining_keeps_transactions_pending_until_the_block_is_sealed() {
    // An hour between blocks: only evm_mine seals here.
    let node = Node::start_with(&["--block-time", "3600"]).await;
    let first = sign(&signer(0), eip1559(0, DEV[1], U256::from(ETHER)));
    let second = sign(&signer(0), eip1559(1, DEV[2], U256::from(ETHER)));
    let hashes = [
        node.result("eth_sendRawTransaction", json!([first])).await,
        node.result("eth_sendRawTransaction", json!([second])).await,
    ];

    assert_eq!(node.quantity("eth_blockNumber", json!([])).await, 0);
    assert_eq!(nonce_at(&node, DEV[0], "pending").await, 2);
    assert_eq!(nonce_at(&node, DEV[0], "latest").await, 0);
    assert_eq!(balance_at(&node, DEV[1], json!("latest")).await, U256::from(10_000 * ETHER));
    assert_eq!(balance_at(&node, DEV[1], json!("pending")).await, U256::from(10_001 * ETHER));
    for hash in &hashes {
        assert!(node.result("eth_getTransactionReceipt", json!([hash])).await.is_null());
        let pending = node.result("eth_getTransactionByHash", json!([hash])).await;
        assert_eq!((pending["blockNumber"].clone(), pending["from"].clone()), (Value::Null, json!(DEV[0])));
    }
    // A replay of a pending transaction, and a nonce behind the pending one.
    let error = node.error("eth_sendRawTransaction", json!([first])).await;
    assert_eq!(error["message"], "already known");
    let stale = sign(&signer(0), eip1559(1, DEV[2], U256::from(7)));
    let error = node.error("eth_sendRawTransaction", json!([stale])).await;
    assert!(error["message"].as_str().expect("message").starts_with("nonce too low"), "{error}");

    node.result("evm_mine", json!([])).await;
    assert_eq!(node.quantity("eth_blockNumber", json!([])).await, 1);
    assert_eq!(nonce_at(&node, DEV[0], "latest").await, 2);
    let block = node.result("eth_getBlockByNumber", json!(["0x1", false])).await;
    assert_eq!(block["transactions"], json!(hashes));
    assert_eq!(parse_quantity(&block["gasUsed"]), 42_000);
    for (index, hash) in hashes.iter().enumerate() {
        let receipt = node.result("eth_getTransactionReceipt", json!([hash])).await;
        assert_eq!(receipt["status"], "0x1");
        assert_eq!(parse_quantity(&receipt["transactionIndex"]), index as u128);
        assert_eq!(parse_quantity(&receipt["cumulativeGasUsed"]), 21_000 * (index as u128 + 1));
        assert_eq!(receipt["blockHash"], block["hash"]);
    }
    assert_eq!(balance_at(&node, DEV[1], json!("latest")).await, U256::from(10_001 * ETHER));
    let fee = U256::from(2 * 21_000 * BASE_FEE);
    assert_eq!(balance_at(&node, DEV[0], json!("latest")).await, U256::from(9_998 * ETHER) - fee);
}

#[tokio::test]
async fn interval_mining_seals_blocks_on_its_own() {
    let node = Node::start_with(&["--block-time", "0.2"]).await;
    let hash = node
        .result("eth_sendRawTransaction", json!([sign(&signer(0), eip1559(0, DEV[1], U256::from(3)))]))
        .await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let receipt = loop {
        let receipt = node.result("eth_getTransactionReceipt", json!([hash])).await;
        if !receipt.is_null() {
            break receipt;
        }
        assert!(Instant::now() < deadline, "not mined within 5 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(receipt["status"], "0x1");
    // Empty blocks follow, as with anvil's --block-time.
    let mined_in = parse_quantity(&receipt["blockNumber"]);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(node.quantity("eth_blockNumber", json!([])).await > mined_in);
}

#[tokio::test]
async fn send_transaction_signs_for_dev_accounts_and_impersonated_ones() {
    let node = Node::start().await;
    // A dev account: the node signs, and the signature recovers to it.
    let request = json!({"from": DEV[1], "to": DEV[2], "value": "0x5"});
    let hash = node.result("eth_sendTransaction", json!([request])).await;
    let body = node.result("eth_getTransactionByHash", json!([hash])).await;
    assert_eq!((body["from"].clone(), body["type"].clone()), (json!(DEV[1]), json!("0x2")));
    assert_eq!(parse_quantity(&body["gas"]), 21_000);
    assert_eq!(parse_quantity(&body["maxFeePerGas"]), BASE_FEE);
    let receipt = node.result("eth_getTransactionReceipt", json!([hash])).await;
    assert_eq!(receipt["status"], "0x1");
    // A gas price asks for a legacy transaction.
    let legacy = json!({"from": DEV[1], "to": DEV[2], "value": "0x5", "gasPrice": format!("{BASE_FEE:#x}")});
    let hash = node.result("eth_sendTransaction", json!([legacy])).await;
    let body = node.result("eth_getTransactionByHash", json!([hash])).await;
    assert_eq!((body["type"].clone(), body["nonce"].clone()), (json!("0x0"), json!("0x1")));

    // Anyone else needs impersonation.
    let whale = Address::repeat_byte(0x57);
    node.result("anvil_setBalance", json!([whale, format!("{:#x}", U256::from(ETHER))])).await;
    let from_whale = json!({"from": whale, "to": DEV[2], "value": "0x9"});
    let error = node.error("eth_sendTransaction", json!([from_whale])).await;
    assert_eq!(error["code"], -32_602, "{error}");
    assert!(error["message"].as_str().expect("message").starts_with("No Signer available"), "{error}");

    assert!(node.result("anvil_impersonateAccount", json!([whale])).await.is_null());
    let before = node.balance(DEV[2]).await;
    let hash = node.result("eth_sendTransaction", json!([from_whale])).await;
    let receipt = node.result("eth_getTransactionReceipt", json!([hash])).await;
    assert_eq!((receipt["status"].clone(), receipt["from"].clone()), (json!("0x1"), json!(whale)));
    assert_eq!(node.balance(DEV[2]).await, before + U256::from(9));
    assert_eq!(node.balance(whale).await, U256::from(ETHER) - U256::from(9 + 21_000 * BASE_FEE));
    assert_eq!(node.nonce(whale).await, 1);
    let body = node.result("eth_getTransactionByHash", json!([hash])).await;
    assert_eq!(body["from"], json!(whale));
    // A contract call from the impersonated account, gas estimated.
    let token = deploy_token(&node).await;
    let give = json!({"from": DEV[0], "to": token,
        "data": Bytes::from(transferCall { to: whale, amount: U256::from(40) }.abi_encode())});
    node.result("eth_sendTransaction", json!([give])).await;
    let spend = json!({"from": whale, "to": token,
        "data": Bytes::from(transferCall { to: DEV[2], amount: U256::from(15) }.abi_encode())});
    let hash = node.result("eth_sendTransaction", json!([spend])).await;
    let receipt = node.result("eth_getTransactionReceipt", json!([hash])).await;
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(receipt["logs"].as_array().map(Vec::len), Some(1));
    assert_eq!(token_balance(&node, token, whale, json!("latest")).await, U256::from(25));

    assert!(node.result("anvil_stopImpersonatingAccount", json!([whale])).await.is_null());
    let error = node.error("eth_sendTransaction", json!([from_whale])).await;
    assert_eq!(error["code"], -32_602, "{error}");

    // Refused requests change nothing.
    let blocks = node.quantity("eth_blockNumber", json!([])).await;
    let refusals = [
        (
            json!({"from": DEV[1], "to": DEV[2], "chainId": "0x1"}),
            "invalid chain id for signer: have 1 want 412346",
        ),
        (json!({"from": DEV[1], "to": DEV[2], "nonce": "0x9"}), "nonce too high"),
        (json!({"from": DEV[1], "to": DEV[2], "nonce": "0x0"}), "nonce too low"),
        (
            json!({"from": DEV[1], "to": DEV[2], "gas": "0x5208", "value": format!("{:#x}", U256::from(20_000 * ETHER))}),
            "insufficient funds",
        ),
        (json!({"from": DEV[1], "to": DEV[2], "gas": "0x5000"}), "intrinsic gas too low"),
    ];
    for (request, expected) in refusals {
        let error = node.error("eth_sendTransaction", json!([request])).await;
        assert_eq!(error["code"], -32_000, "{error}");
        assert!(
            error["message"].as_str().expect("message").starts_with(expected),
            "{error} should say {expected}"
        );
    }
    let error = node.error("eth_sendTransaction", json!([{"from": "0x12", "to": DEV[2]}])).await;
    assert_eq!(error["code"], -32_602, "{error}");
    assert_eq!(node.quantity("eth_blockNumber", json!([])).await, blocks);
    assert_eq!(node.nonce(DEV[1]).await, 2);
}

#[tokio::test]
async fn state_queries_answer_for_older_blocks() {
    let node = Node::start().await;
    let token = deploy_token(&node).await; // block 1
    let code = node.result("eth_getCode", json!([token, "latest"])).await;
    let amount = U256::from(300);
    let send = json!({"from": DEV[0], "to": token,
        "data": Bytes::from(transferCall { to: DEV[1], amount }.abi_encode())});
    node.result("eth_sendTransaction", json!([send])).await; // block 2
    node.result("eth_sendTransaction", json!([{"from": DEV[1], "to": DEV[2], "value": "0x1"}])).await; // block 3

    assert_eq!(node.result("eth_getCode", json!([token, "0x0"])).await, "0x");
    assert_eq!(node.result("eth_getCode", json!([token, "0x1"])).await, code);
    assert_eq!(nonce_at(&node, DEV[0], "0x0").await, 0);
    assert_eq!(nonce_at(&node, DEV[0], "0x1").await, 1);
    assert_eq!(nonce_at(&node, DEV[0], "earliest").await, 0);
    assert_eq!(token_balance(&node, token, DEV[1], json!("0x1")).await, U256::ZERO);
    assert_eq!(token_balance(&node, token, DEV[1], json!("0x2")).await, amount);
    let slot = alloy_primitives::keccak256((DEV[1], U256::ZERO).abi_encode());
    assert_eq!(node.result("eth_getStorageAt", json!([token, slot, "0x1"])).await, json!(B256::ZERO));
    assert_eq!(node.result("eth_getStorageAt", json!([token, slot, "0x2"])).await, json!(B256::from(amount)));
    assert_eq!(balance_at(&node, DEV[2], json!("0x2")).await, U256::from(10_000 * ETHER));
    assert_eq!(balance_at(&node, DEV[2], json!("0x3")).await, U256::from(10_000 * ETHER + 1));
    // By block hash (EIP-1898), and a mutating call on an older state.
    let block1 = node.result("eth_getBlockByNumber", json!(["0x1", false])).await;
    let by_hash = json!({"blockHash": block1["hash"]});
    assert_eq!(token_balance(&node, token, DEV[0], by_hash.clone()).await, U256::from(1_000 * ETHER));
    assert_eq!(nonce_at_value(&node, DEV[1], by_hash).await, 0);
    let transfer_back = json!({"from": DEV[1], "to": token,
        "data": Bytes::from(transferCall { to: DEV[0], amount }.abi_encode())});
    let error = node.error("eth_call", json!([transfer_back, "0x1"])).await;
    assert_eq!(error["code"], 3, "{error}");
    let ok = node.result("eth_call", json!([transfer_back, "0x2"])).await;
    assert_eq!(ok, json!(Bytes::from(true.abi_encode())));
    let gas = node.quantity("eth_estimateGas", json!([transfer_back, "0x2"])).await;
    assert!(gas > 21_000);

    // Past the head, and older than the states kept.
    let error = node.error("eth_getBalance", json!([DEV[0], "0x64"])).await;
    assert_eq!(
        (error["code"].clone(), error["message"].clone()),
        (json!(-32_000), json!("block 100 not found"))
    );
    node.result("evm_mine", json!(["0x100"])).await; // head 259: states of 4..=259 kept
    assert_eq!(balance_at(&node, DEV[2], json!("0x4")).await, U256::from(10_000 * ETHER + 1));
    let error = node.error("eth_getBalance", json!([DEV[2], "0x3"])).await;
    assert_eq!(error["code"], -32_000);
    assert!(
        error["message"].as_str().expect("message").starts_with("state of block 3 is not kept"),
        "{error}"
    );
}

async fn nonce_at_value(node: &Node, who: Address, block: Value) -> u128 {
    node.quantity("eth_getTransactionCount", json!([who, block])).await
}

#[tokio::test]
async fn state_file_is_saved_on_exit_and_loaded_at_start() {
    let dir = std::env::temp_dir().join(format!("vault-node-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("chain.json");
    let _ = std::fs::remove_file(&file);
    let path = file.to_str().expect("utf-8 path");

    let mut node = Node::start_with(&["--state", path]).await;
    let token = deploy_token(&node).await;
    let send = json!({"from": DEV[0], "to": token,
        "data": Bytes::from(transferCall { to: DEV[1], amount: U256::from(77) }.abi_encode())});
    let hash = node.result("eth_sendTransaction", json!([send])).await;
    let receipt = node.result("eth_getTransactionReceipt", json!([hash])).await;
    let head = node.result("eth_getBlockByNumber", json!(["latest", true])).await;
    let balances = [node.balance(DEV[0]).await, node.balance(DEV[1]).await];
    node.result("evm_increaseTime", json!(["0x3c"])).await;
    assert!(node.stop_with("INT").success());
    assert!(file.exists(), "saved on SIGINT");

    let mut node = Node::start_with(&["--state", path]).await;
    assert_eq!(node.result("eth_getBlockByNumber", json!(["latest", true])).await, head);
    assert_eq!(node.result("eth_getTransactionReceipt", json!([hash])).await, receipt);
    assert_eq!([node.balance(DEV[0]).await, node.balance(DEV[1]).await], balances);
    assert_eq!(node.nonce(DEV[0]).await, 2);
    assert_eq!(token_balance(&node, token, DEV[1], json!("latest")).await, U256::from(77));
    let logs = node.result("eth_getLogs", json!([{"address": token, "fromBlock": "0x0"}])).await;
    assert_eq!(logs.as_array().map(Vec::len), Some(2));
    // The chain goes on from there: the next block's parent is the saved head.
    let next =
        node.result("eth_sendTransaction", json!([{"from": DEV[0], "to": DEV[2], "value": "0x1"}])).await;
    let receipt = node.result("eth_getTransactionReceipt", json!([next])).await;
    assert_eq!(parse_quantity(&receipt["blockNumber"]), 3);
    let block = node.result("eth_getBlockByNumber", json!(["0x3", false])).await;
    assert_eq!(block["parentHash"], head["hash"]);
    // evm_increaseTime's offset was kept.
    assert!(parse_quantity(&block["timestamp"]) >= parse_quantity(&head["timestamp"]) + 60);
    // Older states were not saved.
    let error = node.error("eth_getBalance", json!([DEV[0], "0x1"])).await;
    assert!(error["message"].as_str().expect("message").contains("not kept"), "{error}");
    assert!(node.stop_with("TERM").success());

    let node = Node::start_with(&["--state", path]).await;
    assert_eq!(node.quantity("eth_blockNumber", json!([])).await, 3);
    assert_eq!(node.balance(DEV[2]).await, U256::from(10_000 * ETHER + 1));
    drop(node);

    // Another chain id, or a file that is not a saved chain: a clear refusal.
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_vault-node"))
        .args(["--port", "0", "--chain-id", "1", "--state", path])
        .output()
        .expect("run vault-node");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("saved with chain id 412346; start with --chain-id 412346"), "{stderr}");
    std::fs::write(&file, "{\"version\": 1}").expect("write");
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_vault-node"))
        .args(["--port", "0", "--state", path])
        .output()
        .expect("run vault-node");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("state file:") && stderr.contains("missing field"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
