//! Requests per second against a running `vault-node` over HTTP JSON-RPC
//! (figures only, nothing is asserted on time): `cargo bench -p vault-node`.
//! The node is the bench profile's build (opt-level 3). Measured:
//! - `eth_call` of an OpenZeppelin ERC-20 `balanceOf` (EVM) and of
//!   FlashContainment's `hasRole` (Stylus, with Nitro's entry cost), from
//!   `CLIENTS` concurrent clients;
//! - `eth_sendRawTransaction` of pre-signed ether transfers from one client,
//!   each mined in its own block (automine), receipts included.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use alloy_sol_types::{sol, SolCall};
use serde_json::{json, Value};
use support::{activated_flash_containment, eip1559, send, sign, signer, Node, DEV};
use vault_chain::artifacts::Artifact;

sol! {
    function balanceOf(address account) external view returns (uint256);
    function hasRole(bytes32 role, address account) external view returns (bool);
    function tokenConstructor(string name, string symbol, uint8 decimals, address holder, uint256 supply);
}

const CALLS: u32 = 4_000;
const TRANSACTIONS: u32 = 1_000;
const CLIENTS: u32 = 8;

/// `CALLS` `eth_call`s of `data` to `to` from `CLIENTS` clients; calls per second.
async fn calls_per_second(node: &Node, to: Address, data: &[u8]) -> f64 {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "eth_call",
        "params": [{"to": to, "data": Bytes::copy_from_slice(data)}, "latest"]})
    .to_string();
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (client, url, body) = (client.clone(), node.url.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..CALLS / CLIENTS {
                let answer: Value = client
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
    f64::from(CALLS) / started.elapsed().as_secs_f64()
}

async fn deploy_token(node: &Node) -> Address {
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
    let receipt = send(node, 0, TxKind::Create, &init, U256::ZERO, None).await;
    serde_json::from_value(receipt["contractAddress"].clone()).expect("address")
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let node = Node::start().await;
    let token = deploy_token(&node).await;
    let program = activated_flash_containment(&node).await;

    let evm = calls_per_second(&node, token, &balanceOfCall { account: DEV[0] }.abi_encode()).await;
    let stylus =
        calls_per_second(&node, program, &hasRoleCall { role: B256::ZERO, account: DEV[0] }.abi_encode())
            .await;

    let first_nonce = node.nonce(DEV[0]).await;
    let raws: Vec<String> = (0..u64::from(TRANSACTIONS))
        .map(|n| sign(&signer(0), eip1559(first_nonce + n, DEV[1], U256::from(1))))
        .collect();
    let started = Instant::now();
    for raw in raws {
        node.result("eth_sendRawTransaction", json!([raw])).await;
    }
    let sends = f64::from(TRANSACTIONS) / started.elapsed().as_secs_f64();

    println!("vault-node over HTTP JSON-RPC (bench profile, 127.0.0.1):");
    println!("  eth_call, ERC-20 balanceOf (EVM), {CLIENTS} clients:           {evm:>8.0} requests/s");
    println!("  eth_call, FlashContainment hasRole (Stylus), {CLIENTS} clients: {stylus:>8.0} requests/s");
    println!("  eth_sendRawTransaction, ether transfer, one block each:   {sends:>8.0} requests/s");
}
