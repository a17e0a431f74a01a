//! Requests per second against a running `vault-node` (a measurement, not a
//! check): `cargo test -p vault-node --test throughput -- --ignored --nocapture`.
//! The figures depend on the build profile: in the dev profile the chain
//! crates are unoptimised.

mod support;

use std::time::Instant;

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{sol, SolCall};
use serde_json::json;
use support::{eip1559, sign, signer, Node, DEV};
use vault_chain::artifacts::Artifact;

sol! {
    function balanceOf(address account) external view returns (uint256);
    function tokenConstructor(string name, string symbol, uint8 decimals, address holder, uint256 supply);
}

const CALLS: u32 = 2_000;
const TRANSACTIONS: u32 = 500;
const CONCURRENCY: u32 = 8;

#[tokio::test]
#[ignore = "a measurement; run with --ignored --nocapture"]
async fn eth_call_and_send_raw_transaction_per_second() {
    let node = Node::start().await;
    let artifact = Artifact::load("TestToken").unwrap_or_else(|e| panic!("{e}"));
    let args = tokenConstructorCall {
        name: "T".into(),
        symbol: "T".into(),
        decimals: 18,
        holder: DEV[0],
        supply: U256::from(10).pow(U256::from(24)),
    };
    let mut init = artifact.bytecode.clone();
    init.extend_from_slice(&args.abi_encode()[4..]);
    let mut deploy = eip1559(0, Address::ZERO, U256::ZERO);
    deploy.to = alloy_primitives::TxKind::Create;
    deploy.gas_limit = 3_000_000;
    deploy.input = init.into();
    let hash = node.result("eth_sendRawTransaction", json!([sign(&signer(0), deploy)])).await;
    let receipt = node.result("eth_getTransactionReceipt", json!([hash])).await;
    let token = receipt["contractAddress"].clone();

    let data = Bytes::from(balanceOfCall { account: DEV[0] }.abi_encode());
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "eth_call",
        "params": [{"to": token, "data": data}, "latest"]})
    .to_string();
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (client, url, body) = (client.clone(), node.url.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..CALLS / CONCURRENCY {
                let answer: serde_json::Value = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .expect("post")
                    .json()
                    .await
                    .expect("json");
                assert!(answer.get("result").is_some(), "{answer}");
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let calls = f64::from(CALLS) / started.elapsed().as_secs_f64();

    let raws: Vec<String> =
        (1..=TRANSACTIONS).map(|n| sign(&signer(0), eip1559(u64::from(n), DEV[1], U256::from(1)))).collect();
    let started = Instant::now();
    for raw in raws {
        node.result("eth_sendRawTransaction", json!([raw])).await;
    }
    let sends = f64::from(TRANSACTIONS) / started.elapsed().as_secs_f64();
    println!("eth_call (ERC-20 balanceOf, {CONCURRENCY} clients): {calls:.0}/s");
    println!("eth_sendRawTransaction (transfer, one client, one block each): {sends:.0}/s");
}
