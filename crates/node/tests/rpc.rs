//! `vault-node` as a separate process, driven over real JSON-RPC: an alloy
//! provider with a local signer for transactions, raw JSON for the rest.

mod support;

use alloy_consensus::{SignableTransaction, TxEip2930, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_network::{EthereumWallet, TransactionBuilder, TxSignerSync};
use alloy_primitives::{Address, Bytes, PrimitiveSignature, TxKind, B256, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::{BlockNumberOrTag, BlockTransactionsKind, Filter, TransactionRequest};
use alloy_sol_types::{sol, SolCall, SolError, SolEvent, SolValue};
use serde_json::json;
use support::{eip1559, parse_quantity, sign, signer, Node, BASE_FEE, CHAIN_ID, DEV};
use vault_chain::artifacts::Artifact;

sol! {
    function balanceOf(address account) external view returns (uint256);
    function transfer(address to, uint256 amount) external returns (bool);
    function mint(address to, uint256 amount) external;
    function decimals() external view returns (uint8);
    event Transfer(address indexed from, address indexed to, uint256 value);
    error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed);
    function tokenConstructor(string name, string symbol, uint8 decimals, address holder, uint256 supply);
}

const ETHER: u128 = 1_000_000_000_000_000_000;

#[tokio::test]
async fn transfer_between_dev_accounts() {
    let node = Node::start().await;
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer(0)))
        .on_http(node.url.parse().expect("url"));
    assert_eq!(provider.get_chain_id().await.expect("chain id"), CHAIN_ID);
    assert_eq!(provider.get_block_number().await.expect("block number"), 0);
    let before = [node.balance(DEV[0]).await, node.balance(DEV[1]).await];
    assert_eq!(before[0], U256::from(10_000 * ETHER));

    let tx = TransactionRequest::default().with_to(DEV[1]).with_value(U256::from(ETHER));
    let receipt = provider.send_transaction(tx).await.expect("send").get_receipt().await.expect("receipt");
    assert!(receipt.status());
    assert_eq!(receipt.gas_used, 21_000);
    assert_eq!(receipt.effective_gas_price, BASE_FEE);
    assert_eq!(receipt.block_number, Some(1));
    assert_eq!((receipt.from, receipt.to), (DEV[0], Some(DEV[1])));

    let fee = U256::from(21_000 * BASE_FEE);
    assert_eq!(node.balance(DEV[0]).await, before[0] - U256::from(ETHER) - fee);
    assert_eq!(node.balance(DEV[1]).await, before[1] + U256::from(ETHER));
    assert_eq!(node.nonce(DEV[0]).await, 1);
    let pending = node.quantity("eth_getTransactionCount", json!([DEV[0], "pending"])).await;
    assert_eq!(pending, 1);

    let block = provider
        .get_block_by_number(BlockNumberOrTag::Latest, BlockTransactionsKind::Full)
        .await
        .expect("block")
        .expect("latest block");
    assert_eq!(block.header.number, 1);
    assert_eq!(Some(block.header.hash), receipt.block_hash);
    assert_eq!(block.header.base_fee_per_gas, Some(u64::try_from(BASE_FEE).expect("fits")));
    assert_eq!(block.header.gas_used, 21_000);
    let bodies = block.transactions.as_transactions().expect("full bodies");
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0].from, DEV[0]);
    let genesis = node.result("eth_getBlockByNumber", json!(["0x0", false])).await;
    assert_eq!(genesis["hash"], json!(block.header.parent_hash));
    let by_hash = node.result("eth_getBlockByHash", json!([block.header.hash, false])).await;
    assert_eq!(by_hash["transactions"], json!([receipt.transaction_hash]));

    let fetched = provider
        .get_transaction_by_hash(receipt.transaction_hash)
        .await
        .expect("transaction")
        .expect("known transaction");
    assert_eq!((fetched.from, fetched.block_number, fetched.transaction_index), (DEV[0], Some(1), Some(0)));
    assert!(node.result("eth_getTransactionReceipt", json!([B256::ZERO])).await.is_null());
    assert!(node.result("eth_getBlockByNumber", json!(["0x63", false])).await.is_null());

    // A legacy (EIP-155) transaction from another account.
    let mut legacy = TxLegacy {
        chain_id: Some(CHAIN_ID),
        nonce: 0,
        gas_price: BASE_FEE,
        gas_limit: 21_000,
        to: TxKind::Call(DEV[2]),
        value: U256::from(5),
        input: Bytes::new(),
    };
    let signature = signer(1).sign_transaction_sync(&mut legacy).expect("sign");
    let raw = TxEnvelope::from(legacy.into_signed(signature)).encoded_2718();
    let hash = node.result("eth_sendRawTransaction", json!([Bytes::from(raw)])).await;
    let receipt = node.result("eth_getTransactionReceipt", json!([hash])).await;
    assert_eq!((receipt["status"].clone(), receipt["type"].clone()), (json!("0x1"), json!("0x0")));
    assert_eq!(node.quantity("eth_blockNumber", json!([])).await, 2);

    // An EIP-2930 transaction (its access list is accepted).
    let mut tx = TxEip2930 {
        chain_id: CHAIN_ID,
        nonce: 1,
        gas_price: BASE_FEE,
        gas_limit: 30_000,
        to: TxKind::Call(DEV[2]),
        value: U256::from(6),
        access_list: alloy_eips::eip2930::AccessList::default(),
        input: Bytes::new(),
    };
    let signature = signer(1).sign_transaction_sync(&mut tx).expect("sign");
    let raw = TxEnvelope::from(tx.into_signed(signature)).encoded_2718();
    let before = node.balance(DEV[1]).await;
    let hash = node.result("eth_sendRawTransaction", json!([Bytes::from(raw)])).await;
    let receipt = node.result("eth_getTransactionReceipt", json!([hash])).await;
    assert_eq!((receipt["status"].clone(), receipt["type"].clone()), (json!("0x1"), json!("0x1")));
    // Gas used, not the 30,000 limit, is paid.
    assert_eq!(node.balance(DEV[1]).await, before - U256::from(6 + 21_000 * BASE_FEE));
    let body = node.result("eth_getTransactionByHash", json!([hash])).await;
    assert_eq!((body["type"].clone(), body["from"].clone()), (json!("0x1"), json!(DEV[1])));
}

fn token_args(holder: Address, supply: U256) -> Vec<u8> {
    let call =
        tokenConstructorCall { name: "Test".into(), symbol: "TST".into(), decimals: 18, holder, supply };
    call.abi_encode()[4..].to_vec()
}

#[tokio::test]
async fn deploy_and_call_a_solidity_token() {
    let node = Node::start().await;
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer(0)))
        .on_http(node.url.parse().expect("url"));
    let artifact = Artifact::load("TestToken").unwrap_or_else(|e| panic!("{e}"));
    let supply = U256::from(1_000_000 * ETHER);
    let mut init_code = artifact.bytecode.clone();
    init_code.extend(token_args(DEV[0], supply));

    let deploy = TransactionRequest::default().with_deploy_code(init_code);
    let receipt =
        provider.send_transaction(deploy).await.expect("deploy").get_receipt().await.expect("receipt");
    assert!(receipt.status());
    let token = receipt.contract_address.expect("a contract address");
    assert_eq!(token, DEV[0].create(0));
    let code = provider.get_code_at(token).await.expect("code");
    // The runtime code, with the immutable `decimals` filled in.
    assert_eq!(code.len(), artifact.deployed_bytecode.len());
    // The constructor's mint is a Transfer from zero, in the deployment block.
    let mint_logs = receipt.inner.logs();
    assert_eq!(mint_logs.len(), 1);
    assert_eq!(mint_logs[0].topics()[1], B256::ZERO);

    let balance_of = |who: Address| {
        TransactionRequest::default().with_to(token).with_input(balanceOfCall { account: who }.abi_encode())
    };
    let raw = provider.call(&balance_of(DEV[0])).await.expect("balanceOf");
    assert_eq!(U256::abi_decode(&raw, true).expect("uint"), supply);

    let amount = U256::from(1234);
    let send = TransactionRequest::default()
        .with_to(token)
        .with_input(transferCall { to: DEV[1], amount }.abi_encode());
    let receipt =
        provider.send_transaction(send).await.expect("transfer").get_receipt().await.expect("receipt");
    assert!(receipt.status());
    let block = receipt.block_number.expect("mined");
    assert_eq!(block, 2);
    let raw = provider.call(&balance_of(DEV[1])).await.expect("balanceOf");
    assert_eq!(U256::abi_decode(&raw, true).expect("uint"), amount);
    // The slot of balances[DEV[1]] (OpenZeppelin v5: mapping at slot 0 of its namespace-free layout).
    let slot = alloy_primitives::keccak256((DEV[1], U256::ZERO).abi_encode());
    let stored = provider.get_storage_at(token, slot.into()).await.expect("storage");
    assert_eq!(stored, amount);

    // eth_getLogs: by address, by topic, by range.
    let all = provider.get_logs(&Filter::new().address(token).from_block(0)).await.expect("logs");
    assert_eq!(all.len(), 2);
    let transfer = &all[1];
    assert_eq!(transfer.block_number, Some(block));
    assert_eq!(transfer.transaction_hash, Some(receipt.transaction_hash));
    assert_eq!((transfer.transaction_index, transfer.log_index), (Some(0), Some(0)));
    let decoded = Transfer::decode_log_data(transfer.data(), true).expect("Transfer");
    assert_eq!((decoded.from, decoded.to, decoded.value), (DEV[0], DEV[1], amount));

    let to_dev1 = Filter::new()
        .address(token)
        .event_signature(Transfer::SIGNATURE_HASH)
        .topic2(DEV[1].into_word())
        .from_block(0)
        .to_block(BlockNumberOrTag::Latest);
    assert_eq!(provider.get_logs(&to_dev1).await.expect("logs").len(), 1);
    let only_block_1 = Filter::new().address(token).from_block(1).to_block(1);
    assert_eq!(provider.get_logs(&only_block_1).await.expect("logs").len(), 1);
    let other_address = Filter::new().address(DEV[2]).from_block(0);
    assert!(provider.get_logs(&other_address).await.expect("logs").is_empty());
    let by_hash = Filter::new().at_block_hash(receipt.block_hash.expect("hash"));
    assert_eq!(provider.get_logs(&by_hash).await.expect("logs").len(), 1);

    // A revert: code 3 with the custom error in `data`, from eth_call and eth_estimateGas.
    let too_much = json!({
        "from": DEV[2],
        "to": token,
        "data": Bytes::from(transferCall { to: DEV[0], amount: U256::from(1) }.abi_encode()),
    });
    let expected = ERC20InsufficientBalance { sender: DEV[2], balance: U256::ZERO, needed: U256::from(1) };
    let expected = json!(Bytes::from(expected.abi_encode()));
    for method in ["eth_call", "eth_estimateGas"] {
        let error = node.error(method, json!([too_much, "latest"])).await;
        assert_eq!(error["code"], 3, "{method}: {error}");
        assert_eq!(error["data"], expected, "{method}: {error}");
        assert!(error["message"].as_str().expect("message").starts_with("execution reverted"));
    }
    // A mutating eth_call succeeds without changing the state.
    let mint = json!({
        "from": DEV[2], "to": token,
        "data": Bytes::from(mintCall { to: DEV[2], amount: U256::from(7) }.abi_encode()),
    });
    assert_eq!(node.result("eth_call", json!([mint, "latest"])).await, json!("0x"));
    let gas = node.quantity("eth_estimateGas", json!([mint])).await;
    assert!((40_000..100_000).contains(&gas), "mint estimate {gas}");
    let raw = provider.call(&balance_of(DEV[2])).await.expect("balanceOf");
    assert_eq!(U256::abi_decode(&raw, true).expect("uint"), U256::ZERO);
    // Too little gas allowed: geth's message.
    let capped = json!({"from": DEV[2], "to": token, "gas": "0x6000",
        "data": Bytes::from(mintCall { to: DEV[2], amount: U256::from(7) }.abi_encode())});
    let error = node.error("eth_estimateGas", json!([capped])).await;
    assert_eq!(error["code"], -32_000, "{error}");
    assert!(
        error["message"].as_str().expect("message").contains("gas required exceeds allowance"),
        "{error}"
    );

    // State override: eth_call against code that is not deployed.
    let ghost = Address::repeat_byte(0x77);
    let call = json!({"to": ghost, "data": Bytes::from(decimalsCall {}.abi_encode())});
    let overrides = json!({ ghost.to_string(): { "code": Bytes::from(artifact.deployed_bytecode.clone()) } });
    let answer = node.result("eth_call", json!([call, "latest", overrides])).await;
    // The immutable decimals are zero in the deployed bytecode's placeholder.
    assert_eq!(answer.as_str().map(str::len), Some(66));
    assert_eq!(node.result("eth_getCode", json!([ghost, "latest"])).await, json!("0x"));
}

#[tokio::test]
async fn bad_input_is_refused_and_the_node_keeps_serving() {
    let node = Node::start().await;
    let before = (
        node.balance(DEV[0]).await,
        node.nonce(DEV[0]).await,
        node.quantity("eth_blockNumber", json!([])).await,
    );

    // One good transaction, so that a nonce can be too low.
    let first = sign(&support::signer(0), eip1559(0, DEV[1], U256::from(1)));
    node.result("eth_sendRawTransaction", json!([first])).await;
    let after_one = (
        node.balance(DEV[0]).await,
        node.nonce(DEV[0]).await,
        node.quantity("eth_blockNumber", json!([])).await,
    );
    assert_eq!(after_one.1, 1);
    assert_eq!(after_one.2, before.2 + 1);

    assert_eq!(node.post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":").await["error"]["code"], -32_700);
    assert_eq!(node.post("not json at all").await["error"]["code"], -32_700);
    assert_eq!(node.error("eth_doesNotExist", json!([])).await["code"], -32_601);
    let error = node.error("eth_getBalance", json!(["0xnot-an-address"])).await;
    assert_eq!((error["code"].clone(), error["message"].clone()), (json!(-32_602), json!("Invalid params")));
    assert!(error["data"].as_str().expect("the reason").contains("invalid string length"), "{error}");
    let error = node.error("eth_getBalance", json!([DEV[0], "lastest"])).await;
    assert_eq!(error["code"], -32_602, "{error}");
    let error = node.error("eth_call", json!([{"to": 5}])).await;
    assert!(error["data"].as_str().expect("the reason").contains("expected 20 bytes"), "{error}");
    assert_eq!(node.error("eth_getBalance", json!([])).await["code"], -32_602);
    assert_eq!(node.error("eth_sendRawTransaction", json!([42])).await["code"], -32_602);

    let refuse = |raw: String, expected: &'static str| {
        let node = &node;
        async move {
            let error = node.error("eth_sendRawTransaction", json!([raw])).await;
            assert_eq!(error["code"], -32_000, "{error}");
            let message = error["message"].as_str().expect("message");
            assert!(message.contains(expected), "{message} should say {expected}");
        }
    };
    refuse("0x02f8".into(), "could not be decoded").await;
    refuse("0x".into(), "could not be decoded").await;
    refuse(first.clone(), "already known").await;
    refuse(sign(&signer(0), eip1559(0, DEV[1], U256::from(2))), "nonce too low").await;
    refuse(sign(&signer(0), eip1559(5, DEV[1], U256::from(2))), "nonce too high").await;
    let mut wrong_chain = eip1559(1, DEV[1], U256::from(2));
    wrong_chain.chain_id = 1;
    refuse(sign(&signer(0), wrong_chain), "invalid chain id").await;
    let too_much = eip1559(1, DEV[1], U256::from(20_000 * ETHER));
    refuse(sign(&signer(0), too_much), "insufficient funds").await;
    let mut cheap = eip1559(1, DEV[1], U256::from(2));
    cheap.max_fee_per_gas = BASE_FEE - 1;
    refuse(sign(&signer(0), cheap), "max fee per gas less than block base fee").await;
    let mut low_gas = eip1559(1, DEV[1], U256::from(2));
    low_gas.gas_limit = 20_999;
    refuse(sign(&signer(0), low_gas), "intrinsic gas too low").await;
    // A signature that recovers no key (r = 0).
    let bad = eip1559(1, DEV[1], U256::from(2));
    let signature = PrimitiveSignature::new(U256::ZERO, U256::from(1), false);
    let raw = TxEnvelope::from(bad.into_signed(signature)).encoded_2718();
    refuse(format!("0x{}", alloy_primitives::hex::encode(raw)), "invalid sender").await;

    // Nothing changed, and the node still serves.
    let after = (
        node.balance(DEV[0]).await,
        node.nonce(DEV[0]).await,
        node.quantity("eth_blockNumber", json!([])).await,
    );
    assert_eq!(after, after_one);
    let next = sign(&signer(0), eip1559(1, DEV[1], U256::from(2)));
    let hash = node.result("eth_sendRawTransaction", json!([next])).await;
    let receipt = node.result("eth_getTransactionReceipt", json!([hash])).await;
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(node.balance(DEV[0]).await, after.0 - U256::from(2 + 21_000 * BASE_FEE));
}

#[tokio::test]
async fn batch_requests() {
    let node = Node::start().await;
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_blockNumber", "params": []},
        {"jsonrpc": "2.0", "id": 3, "method": "eth_getBalance", "params": [DEV[0], "latest"]},
        {"jsonrpc": "2.0", "id": 4, "method": "no_such_method", "params": []},
        {"jsonrpc": "2.0", "id": 5, "method": "web3_clientVersion", "params": []},
        {"jsonrpc": "2.0", "id": 6, "method": "net_version", "params": []},
        {"jsonrpc": "2.0", "id": 7, "method": "eth_accounts", "params": []},
    ]);
    let answer = node.post(batch.to_string()).await;
    let answers = answer.as_array().expect("a batch answer");
    assert_eq!(answers.len(), 7);
    let by_id = |id: u64| answers.iter().find(|a| a["id"] == id).expect("answer for id");
    assert_eq!(parse_quantity(&by_id(1)["result"]), u128::from(CHAIN_ID));
    assert_eq!(by_id(2)["result"], "0x0");
    assert_eq!(parse_quantity(&by_id(3)["result"]), 10_000 * ETHER);
    assert_eq!(by_id(4)["error"]["code"], -32_601);
    assert!(by_id(5)["result"].as_str().expect("version").starts_with("vault-node/"));
    assert_eq!(by_id(6)["result"], CHAIN_ID.to_string());
    assert_eq!(by_id(7)["result"].as_array().map(Vec::len), Some(5));
    assert_eq!(by_id(7)["result"][0], json!(DEV[0]));
    assert_eq!(node.post("[]").await["error"]["code"], -32_600);
}

#[tokio::test]
async fn test_controls_mine_snapshot_revert_and_set_balance() {
    let node = Node::start().await;
    let id = node.result("evm_snapshot", json!([])).await;
    let raw = sign(&signer(0), eip1559(0, DEV[1], U256::from(ETHER)));
    node.result("eth_sendRawTransaction", json!([raw])).await;
    node.result("evm_mine", json!([])).await;
    assert_eq!(node.quantity("eth_blockNumber", json!([])).await, 2);
    let rich = Address::repeat_byte(0x42);
    node.result("anvil_setBalance", json!([rich, "0x1234"])).await;
    assert_eq!(node.balance(rich).await, U256::from(0x1234));

    assert_eq!(node.result("evm_revert", json!([id])).await, true);
    assert_eq!(node.quantity("eth_blockNumber", json!([])).await, 0);
    assert_eq!(node.nonce(DEV[0]).await, 0);
    assert_eq!(node.balance(DEV[0]).await, U256::from(10_000 * ETHER));
    assert_eq!(node.balance(rich).await, U256::ZERO);
    // The snapshot is used up.
    assert_eq!(node.result("evm_revert", json!([id])).await, false);
    // The same transaction is accepted again after the revert.
    node.result("eth_sendRawTransaction", json!([raw])).await;
    assert_eq!(node.quantity("eth_blockNumber", json!([])).await, 1);

    let history = node.result("eth_feeHistory", json!(["0x4", "latest", [25.0, 75.0]])).await;
    assert_eq!(history["oldestBlock"], "0x0");
    assert_eq!(history["baseFeePerGas"].as_array().map(Vec::len), Some(3));
    assert_eq!(history["reward"], json!([["0x0", "0x0"], ["0x0", "0x0"]]));
    assert_eq!(parse_quantity(&node.result("eth_gasPrice", json!([])).await), BASE_FEE);
    assert_eq!(node.result("eth_maxPriorityFeePerGas", json!([])).await, "0x0");
}

#[tokio::test]
async fn oversized_requests_and_batches_are_refused() {
    let node = Node::start_with(&["--max-batch", "2", "--max-request-bytes", "2000"]).await;
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []});
    let answer = node.post(json!([call, call, call]).to_string()).await;
    assert_eq!(answer["error"]["code"], -32_010, "{answer}");
    let big = json!({"jsonrpc": "2.0", "id": 1, "method": "eth_call",
        "params": [{"to": DEV[1], "data": format!("0x{}", "ab".repeat(1_500))}, "latest"]});
    assert_eq!(node.post(big.to_string()).await["error"]["code"], -32_007);
    let answer = node.post(json!([call, call]).to_string()).await;
    assert_eq!(answer.as_array().map(Vec::len), Some(2));
    assert_eq!(node.quantity("eth_blockNumber", json!([])).await, 0);
}

/// A contract whose first call in an L2 block stores the block's number and
/// whose later calls in the same block do nothing (as FlashContainment's
/// `poke` records one observation per block):
/// `n = ArbSys.arbBlockNumber(); if (slot0 != n) slot0 = n` (EVM's
/// `NUMBER` is the L1 block on Arbitrum).
const ONCE_PER_BLOCK_INIT: &str = concat!(
    "602980600b6000396000f3",         // init: return the 41 bytes after it
    "63a3b1b31d60e01b600052",         // mem[0..4] = arbBlockNumber()
    "602060006004600060645afa50",     // staticcall ArbSys (0x64)
    "600051806000541460275760005500", // n != slot0: slot0 = n
    "5b00",
);

#[tokio::test]
async fn estimates_run_in_the_next_block_as_the_transaction_will() {
    let node = Node::start().await;
    let init = hex_bytes(ONCE_PER_BLOCK_INIT);
    let receipt = support::send(&node, 0, TxKind::Create, &init, U256::ZERO, None).await;
    let contract: Address = serde_json::from_value(receipt["contractAddress"].clone()).expect("address");
    // The first call stores its block: a call in that same block would be cheap.
    let first = support::send(&node, 0, TxKind::Call(contract), &[], U256::ZERO, None).await;
    assert_eq!(first["status"], json!("0x1"), "{first}");
    let request = json!({"from": DEV[0], "to": contract});
    let at_latest = node.quantity("eth_estimateGas", json!([request, "latest"])).await;
    let at_pending = node.quantity("eth_estimateGas", json!([request, "pending"])).await;
    let by_default = node.quantity("eth_estimateGas", json!([request])).await;
    assert!(at_pending > at_latest + 2_000, "pending {at_pending}, latest {at_latest}");
    assert_eq!(by_default, at_pending);
    // Mined in the next block with exactly the default estimate: it succeeds.
    let gas = u64::try_from(by_default).expect("u64");
    let second = support::send(&node, 0, TxKind::Call(contract), &[], U256::ZERO, Some(gas)).await;
    assert_eq!(second["status"], json!("0x1"), "{second}");
    assert_eq!(parse_quantity(&second["gasUsed"]), by_default);
}

fn hex_bytes(text: &str) -> Vec<u8> {
    alloy_primitives::hex::decode(text).expect("hex")
}
