//! The RPC endpoint's nonce ownership and fee bumps against a real node that
//! keeps a mempool: anvil with `--no-mining` (vault-node runs every
//! transaction on its pending state at once, so it never holds one to
//! replace). The blocks are mined by the test (`evm_mine`). Skipped, with a
//! message, when no anvil is found (`ANVIL`, `PATH`, or the one
//! `scripts/env` installs).
#![cfg(feature = "rpc")]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use alloy_network::{EthereumWallet, TransactionBuilder};
use alloy_primitives::{address, Address, Bytes};
use alloy_provider::{DynProvider, Provider, ProviderBuilder};
use alloy_rpc_types_eth::{TransactionRequest, TransactionTrait};
use alloy_signer_local::PrivateKeySigner;
use vault_keeper::rpc::endpoint::{FeePolicy, RpcEndpoint};
use vault_keeper::Endpoint;

/// anvil's dev account 1 (the local network's keeper): a public key.
const KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const TO: Address = address!("3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");

fn anvil_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("ANVIL") {
        return Some(path.into());
    }
    let installed = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts/foundry/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    let on_path = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|dir| dir.join("anvil")).find(|p| p.is_file()));
    on_path.or_else(|| installed.is_file().then_some(installed))
}

struct Anvil {
    child: Child,
    url: String,
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn anvil() -> Option<Anvil> {
    let Some(binary) = anvil_binary() else {
        // scripts/test installs anvil first: in CI a missing one fails.
        assert!(std::env::var_os("CI").is_none(), "no anvil: scripts/foundry installs it (CI is set)");
        eprintln!("skipped: no anvil (set ANVIL, or run `eval \"$(scripts/env)\"`)");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(binary)
        .args(["--no-mining", "--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("anvil starts");
    let anvil = Anvil { child, url: format!("http://127.0.0.1:{port}") };
    let probe = ProviderBuilder::new().on_http(anvil.url.parse().unwrap());
    for _ in 0..200 {
        if probe.get_chain_id().await.is_ok() {
            return Some(anvil);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("anvil did not answer on {}", anvil.url);
}

fn provider(url: &str) -> DynProvider {
    let signer: PrivateKeySigner = KEY.parse().unwrap();
    ProviderBuilder::new().wallet(EthereumWallet::from(signer)).on_http(url.parse().unwrap()).erased()
}

fn endpoint(url: &str, receipt_timeout: Duration, fees: FeePolicy) -> RpcEndpoint {
    let signer: PrivateKeySigner = KEY.parse().unwrap();
    RpcEndpoint::new(provider(url), signer.address(), 100_000, 0, Duration::ZERO)
        .with_receipt_timeout(receipt_timeout)
        .with_fees(fees)
}

async fn mine(url: &str) {
    let node = ProviderBuilder::new().on_http(url.parse().unwrap());
    let _: String = node.raw_request("evm_mine".into(), ()).await.unwrap();
}

/// `endpoint.send(TO, ..)` while a block is mined every 100 ms after `wait`.
async fn send_mined(
    endpoint: &mut RpcEndpoint,
    url: &str,
    wait: Duration,
) -> Result<vault_keeper::Sent, vault_keeper::EndpointError> {
    let miner = async {
        tokio::time::sleep(wait).await;
        loop {
            mine(url).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::select! {
        sent = endpoint.send(TO, Bytes::new()) => sent,
        () = miner => unreachable!(),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_stuck_transaction_is_re_sent_with_the_same_nonce_and_higher_fees() {
    let Some(anvil) = anvil().await else { return };
    let mut endpoint = endpoint(&anvil.url, Duration::from_millis(400), FeePolicy::default());
    let node = provider(&anvil.url);
    let gas_price = node.get_gas_price().await.unwrap();
    // Nothing is mined for 1 s: two receipt timeouts, so two bumps.
    let sent = send_mined(&mut endpoint, &anvil.url, Duration::from_millis(1_000)).await;
    let sent = sent.unwrap();
    assert!(sent.success);
    // At least two (the miner may come late on a loaded machine).
    let bumps = endpoint.incidents.fee_bumps;
    assert!(bumps >= 2, "{:?}", endpoint.incidents);
    let mined = endpoint.journal[0].hash;
    let tx = node.get_transaction_by_hash(mined).await.unwrap().unwrap();
    // 2 × the node's gas price, then a raise of 10% + 1 wei per bump: the
    // last replacement is the one mined.
    let mut fee = gas_price * 2;
    for _ in 0..bumps {
        fee += fee / 10 + 1;
    }
    assert_eq!(tx.to(), Some(TO));
    assert_eq!(tx.max_fee_per_gas(), fee);
    assert_eq!(tx.nonce(), 0);
    assert_eq!(node.get_transaction_count(endpoint.keeper()).await.unwrap(), 1, "one transaction mined");
    assert_eq!(endpoint.next_nonce(), Some(1));
}

#[tokio::test(flavor = "current_thread")]
async fn a_stuck_transaction_at_the_fee_cap_is_given_up_and_the_nonce_re_read() {
    let Some(anvil) = anvil().await else { return };
    let node = provider(&anvil.url);
    let base = node.get_gas_price().await.unwrap();
    // Room for the first send (2 × base) but not for one bump.
    let cap = FeePolicy { priority_fee: 0, max_fee_cap: base * 2 + base / 20 };
    let mut endpoint = endpoint(&anvil.url, Duration::from_millis(1_500), cap);
    let error = endpoint.send(TO, Bytes::new()).await.unwrap_err();
    assert!(error.to_string().contains("after 0 fee bumps, at the cap"), "{error}");
    assert_eq!(endpoint.incidents.abandoned, 1);
    assert_eq!(endpoint.next_nonce(), None, "re-read at the next send");
    // The given-up transaction is still pending: the next send takes the
    // nonce after it, from the pending count.
    let sent = send_mined(&mut endpoint, &anvil.url, Duration::from_millis(100)).await;
    assert!(sent.unwrap().success);
    assert_eq!(node.get_transaction_count(endpoint.keeper()).await.unwrap(), 2);
}

#[tokio::test(flavor = "current_thread")]
async fn a_nonce_taken_by_another_sender_is_resynced() {
    let Some(anvil) = anvil().await else { return };
    let mut endpoint = endpoint(&anvil.url, Duration::from_secs(10), FeePolicy::default());
    let sent = send_mined(&mut endpoint, &anvil.url, Duration::from_millis(100)).await;
    assert!(sent.unwrap().success);
    assert_eq!(endpoint.next_nonce(), Some(1));
    // Another sender with the same key takes nonce 1.
    let other = provider(&anvil.url);
    let request = TransactionRequest::default().with_to(TO).with_nonce(1).with_gas_limit(21_000);
    let _pending = other.send_transaction(request).await.unwrap();
    mine(&anvil.url).await;
    let sent = send_mined(&mut endpoint, &anvil.url, Duration::from_millis(200)).await;
    assert!(sent.unwrap().success);
    assert_eq!(endpoint.incidents.nonce_resyncs, 1, "{:?}", endpoint.incidents);
    assert_eq!(other.get_transaction_count(endpoint.keeper()).await.unwrap(), 3);
    assert_eq!(endpoint.next_nonce(), Some(3));
}

/// Deploys a contract whose every call reverts once `block.number` is past
/// `deadline`, and mines its creation; returns its address.
async fn deploy_deadline(url: &str, deadline: u64) -> Address {
    // PUSH8 deadline NUMBER GT PUSH1 0x0f JUMPI STOP JUMPDEST
    // PUSH1 0 PUSH1 0 REVERT, behind an init code that returns it.
    let mut runtime = vec![0x67];
    runtime.extend_from_slice(&deadline.to_be_bytes());
    runtime.extend_from_slice(&[0x43, 0x11, 0x60, 0x0f, 0x57, 0x00, 0x5b, 0x60, 0x00, 0x60, 0x00, 0xfd]);
    let len = u8::try_from(runtime.len()).unwrap();
    let mut init = vec![0x60, len, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, len, 0x60, 0x00, 0xf3];
    init.extend_from_slice(&runtime);
    let node = provider(url);
    let request = TransactionRequest::default().with_deploy_code(init).with_gas_limit(200_000);
    let pending = node.send_transaction(request).await.unwrap();
    mine(url).await;
    let receipt = pending.get_receipt().await.unwrap();
    receipt.contract_address.expect("created")
}

#[tokio::test(flavor = "current_thread")]
async fn a_call_simulated_before_a_block_is_mined_is_simulated_again_and_not_sent_when_it_would_revert() {
    let Some(anvil) = anvil().await else { return };
    let node = provider(&anvil.url);
    let head = node.get_block_number().await.unwrap();
    // Created in head + 1; calls succeed through block head + 2.
    let target = deploy_deadline(&anvil.url, head + 2).await;
    let mut endpoint = endpoint(&anvil.url, Duration::from_secs(10), FeePolicy::default());
    let deployer_nonce = node.get_transaction_count(endpoint.keeper()).await.unwrap();
    // Simulated at head + 1: it would land in head + 2, in time.
    assert!(endpoint.simulate(target, Bytes::new()).await.unwrap().success);
    // A block is mined before it is sent: it would land in head + 3.
    mine(&anvil.url).await;
    let sent = endpoint.send(target, Bytes::new()).await.unwrap();
    assert!(!sent.success, "sent although it would revert in the next block");
    assert_eq!(sent.gas_used, 0, "not sent");
    assert!(endpoint.journal.is_empty());
    assert_eq!(node.get_transaction_count(endpoint.keeper()).await.unwrap(), deployer_nonce, "nothing sent");
}

#[tokio::test(flavor = "current_thread")]
async fn a_call_simulated_on_the_latest_block_is_sent_while_no_block_is_mined() {
    let Some(anvil) = anvil().await else { return };
    let node = provider(&anvil.url);
    let head = node.get_block_number().await.unwrap();
    let target = deploy_deadline(&anvil.url, head + 2).await;
    let mut endpoint = endpoint(&anvil.url, Duration::from_secs(10), FeePolicy::default());
    assert!(endpoint.simulate(target, Bytes::new()).await.unwrap().success);
    let miner = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        mine(&anvil.url).await;
        std::future::pending::<()>().await;
    };
    let sent = tokio::select! {
        sent = endpoint.send(target, Bytes::new()) => sent.unwrap(),
        () = miner => unreachable!(),
    };
    assert!(sent.success, "mined in block {:?}", endpoint.journal.first().and_then(|tx| tx.block));
    assert_eq!(endpoint.journal[0].block, Some(head + 2));
}
