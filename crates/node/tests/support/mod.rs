//! Starts the built `vault-node` binary as a child process and talks to it
//! over HTTP.

#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_network::TxSignerSync;
use alloy_primitives::{address, b256, keccak256, Address, Bytes, TxKind, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use serde_json::{json, Value};

/// The first dev accounts of the default mnemonic (anvil's).
pub const DEV: [Address; 3] = [
    address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
    address!("70997970C51812dc3A010C7d01b50e0d17dc79C8"),
    address!("3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
];

/// Their private keys.
pub const DEV_KEYS: [B256; 3] = [
    b256!("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"),
    b256!("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"),
    b256!("5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"),
];

/// The node's default chain id.
pub const CHAIN_ID: u64 = 412_346;

/// The base fee the node charges (Arbitrum's minimum, 0.01 gwei).
pub const BASE_FEE: u128 = 10_000_000;

/// A running node, killed on drop.
pub struct Node {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    http: reqwest::Client,
}

impl Node {
    /// Starts `vault-node --port 0` and waits until it answers.
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// Starts `vault-node --port 0` with more flags and waits until it answers.
    pub async fn start_with(flags: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vault-node"))
            .args(["--port", "0", "--accounts", "5"])
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start vault-node");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let address = loop {
            let line = lines.next().expect("the node printed its address").expect("read stdout");
            if let Some(address) = line.strip_prefix("Listening on ") {
                break address.trim().to_owned();
            }
        };
        // Keep draining stdout so the node never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let node = Self { child, url: format!("http://{address}"), http: reqwest::Client::new() };
        let deadline = Instant::now() + Duration::from_secs(10);
        while node.try_request("eth_chainId", json!([])).await.is_err() {
            assert!(Instant::now() < deadline, "the node did not answer within 10 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        node
    }

    /// Posts a raw body; returns the JSON answer.
    pub async fn post(&self, body: impl Into<reqwest::Body>) -> Value {
        self.http
            .post(&self.url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("post")
            .json()
            .await
            .expect("a JSON answer")
    }

    async fn try_request(&self, method: &str, params: Value) -> Result<Value, reqwest::Error> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        self.http.post(&self.url).json(&body).send().await?.json().await
    }

    /// One call; returns the whole response object.
    pub async fn request(&self, method: &str, params: Value) -> Value {
        self.try_request(method, params).await.expect("request")
    }

    /// One call that must succeed; returns its result.
    pub async fn result(&self, method: &str, params: Value) -> Value {
        let answer = self.request(method, params).await;
        assert!(answer.get("error").is_none(), "{method} failed: {answer}");
        answer["result"].clone()
    }

    /// One call that must fail; returns its error object.
    pub async fn error(&self, method: &str, params: Value) -> Value {
        let answer = self.request(method, params).await;
        assert!(answer.get("result").is_none(), "{method} should fail: {answer}");
        answer["error"].clone()
    }

    /// A quantity result as u128.
    pub async fn quantity(&self, method: &str, params: Value) -> u128 {
        parse_quantity(&self.result(method, params).await)
    }

    /// A balance.
    pub async fn balance(&self, who: Address) -> U256 {
        let value = self.result("eth_getBalance", json!([who, "latest"])).await;
        value.as_str().expect("hex").parse().expect("U256")
    }

    /// A nonce.
    pub async fn nonce(&self, who: Address) -> u64 {
        u64::try_from(self.quantity("eth_getTransactionCount", json!([who, "latest"])).await).expect("u64")
    }
}

impl Node {
    /// Sends the node a signal (`INT`, `TERM`) and waits for it to exit.
    pub fn stop_with(&mut self, signal: &str) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -{signal} failed");
        self.child.wait().expect("wait for the node")
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Parses a `0x…` quantity.
pub fn parse_quantity(value: &Value) -> u128 {
    let text = value.as_str().unwrap_or_else(|| panic!("not a quantity: {value}"));
    u128::from_str_radix(text.trim_start_matches("0x"), 16).expect("hex quantity")
}

/// A dev signer.
pub fn signer(index: usize) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&DEV_KEYS[index]).expect("key")
}

/// An EIP-1559 transaction, ready to be changed and signed.
pub fn eip1559(nonce: u64, to: Address, value: U256) -> TxEip1559 {
    TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 2 * BASE_FEE,
        max_priority_fee_per_gas: 0,
        to: TxKind::Call(to),
        value,
        access_list: alloy_eips::eip2930::AccessList::default(),
        input: Bytes::new(),
    }
}

/// Signs `tx` with `signer`; returns the raw 2718 bytes as hex.
pub fn sign(signer: &PrivateKeySigner, mut tx: TxEip1559) -> String {
    let signature = signer.sign_transaction_sync(&mut tx).expect("sign");
    let envelope = TxEnvelope::from(tx.into_signed(signature));
    format!("0x{}", alloy_primitives::hex::encode(envelope.encoded_2718()))
}

/// The init code `cargo stylus deploy` sends: a prelude that returns the
/// code after it, a version byte 0, then the packed code.
pub fn deployment_code(code: &[u8]) -> Vec<u8> {
    let mut init = vec![0x7f];
    init.extend_from_slice(&U256::from(code.len()).to_be_bytes::<32>());
    init.extend_from_slice(&[0x80, 0x60, 43, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3, 0x00]);
    init.extend_from_slice(code);
    init
}

/// FlashContainment's wasm (`scripts/build-wasm`), packed as
/// `cargo stylus deploy` packs it (`0xEFF00000` ‖ brotli).
pub fn packed_flash_containment() -> Vec<u8> {
    let wasm = vault_chain::artifacts::contract_wasm("flash_containment").unwrap_or_else(|e| panic!("{e}"));
    vault_wasm_pack::pack(&wasm).expect("FlashContainment packs").code
}

/// The Stylus calls the tests and the benchmark send.
pub mod stylus_abi {
    alloy_sol_types::sol! {
        function activateProgram(address program) external payable returns (uint16 version, uint256 dataFee);
        function stylusConstructor(address admin);
        function hasRole(bytes32 role, address account) external view returns (bool);
    }
}

/// Nitro's `ArbWasm` precompile.
pub const ARB_WASM: &str = "0x0000000000000000000000000000000000000071";

/// One ether in wei.
pub const ETHER: u128 = 1_000_000_000_000_000_000;

/// Estimates, signs and sends a transaction from dev account `who`;
/// returns its receipt.
pub async fn send(node: &Node, who: usize, to: TxKind, input: &[u8], value: U256, gas: Option<u64>) -> Value {
    let key: PrivateKeySigner = signer(who);
    let nonce = node.nonce(DEV[who]).await;
    let gas = if let Some(gas) = gas {
        gas
    } else {
        let mut request = json!({"from": DEV[who], "data": Bytes::copy_from_slice(input), "value": value});
        if let TxKind::Call(to) = to {
            request["to"] = json!(to);
        }
        u64::try_from(node.quantity("eth_estimateGas", json!([request])).await).expect("u64")
    };
    let mut tx = eip1559(nonce, Address::ZERO, value);
    tx.to = to;
    tx.input = Bytes::copy_from_slice(input);
    tx.gas_limit = gas;
    let hash = node.result("eth_sendRawTransaction", json!([sign(&key, tx)])).await;
    node.result("eth_getTransactionReceipt", json!([hash])).await
}

/// `stylus_constructor()` ‖ `(admin)`, as stylus-sdk 0.9 routes a constructor.
pub fn constructor_calldata(admin: Address) -> Vec<u8> {
    let mut data = keccak256("stylus_constructor()")[..4].to_vec();
    data.extend_from_slice(&stylus_abi::stylusConstructorCall { admin }.abi_encode()[4..]);
    data
}

/// Deploys, activates and constructs FlashContainment; returns its address.
pub async fn activated_flash_containment(node: &Node) -> Address {
    let code = packed_flash_containment();
    let receipt = send(node, 0, TxKind::Create, &deployment_code(&code), U256::ZERO, None).await;
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    let program: Address = serde_json::from_value(receipt["contractAddress"].clone()).expect("address");
    let activate = stylus_abi::activateProgramCall { program }.abi_encode();
    let arb_wasm = ARB_WASM.parse().expect("address");
    let receipt = send(node, 0, TxKind::Call(arb_wasm), &activate, U256::from(ETHER), None).await;
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    let receipt = send(node, 0, TxKind::Call(program), &constructor_calldata(DEV[0]), U256::ZERO, None).await;
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    program
}

/// The gas of one `hasRole` view: its estimate and the `gasUsed` of the
/// same call sent as a transaction by dev account 1 (it changes no state).
pub async fn has_role_gas(node: &Node, program: Address) -> (u128, u128) {
    let data = stylus_abi::hasRoleCall { role: B256::ZERO, account: DEV[0] }.abi_encode();
    let request =
        json!({"from": DEV[1], "to": program, "data": Bytes::copy_from_slice(&data), "value": U256::ZERO});
    let estimate = node.quantity("eth_estimateGas", json!([request])).await;
    let receipt = send(node, 1, TxKind::Call(program), &data, U256::ZERO, None).await;
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    (estimate, parse_quantity(&receipt["gasUsed"]))
}
