//! ABI conformance of the `PmmPool` fixture with DODO's official DSP ABI.
//!
//! For every function the project calls on DODO pools (the `functions` of
//! `tests/solidity/conformance.json`), the fixture's ABI entry must have
//! the name, input types, output types and state-mutability class (read-only
//! or not) of the entry in `abi/external/dodo/DSP.json` (npm
//! `@dodoex/dodo-contract-request` 1.8.0), hence the same selector. Then the
//! pool is deployed on a [`World`] and each of these functions is called
//! with calldata built from the official entry (not the fixture's), and its
//! return data must decode as the official outputs say.

use std::path::PathBuf;

use alloy_primitives::{address, keccak256, Address, U256};
use alloy_sol_types::{sol, SolCall, SolConstructor};
use serde_json::{json, Value};
use vault_chain::artifacts::Artifact;
use vault_chain::World;

sol! {
    contract TestToken {
        constructor(string name, string symbol, uint8 decimals, address initialHolder, uint256 initialSupply);
        function transfer(address to, uint256 amount) external returns (bool);
        function approve(address spender, uint256 amount) external returns (bool);
    }

    contract PmmPool {
        constructor(address owner, address maintainer, address baseToken, address quoteToken, uint256 lpFeeRate, uint256 mtFeeRate, uint256 i, uint256 k, bool isOpenTWAP);
        function deposit(uint256 baseAmount, uint256 quoteAmount) external;
    }
}

const OWNER: Address = address!("00000000000000000000000000000000000a11ce");
const TRADER: Address = address!("0000000000000000000000000000000000007ade");
const MAINTAINER: Address = address!("000000000000000000000000000000000000fee5");

/// Functions the project calls on DODO pools; `conformance.json` may list
/// more, never fewer.
const CALLED: [&str; 11] = [
    "querySellBase",
    "querySellQuote",
    "sellBase",
    "sellQuote",
    "getPMMStateForCall",
    "getMidPrice",
    "_BASE_TOKEN_",
    "_QUOTE_TOKEN_",
    "getVaultReserve",
    "flashLoan",
    "_BASE_PRICE_CUMULATIVE_LAST_",
];

fn repo_file(relative: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(relative);
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// `tests/solidity/conformance.json`.
fn conformance() -> Value {
    repo_file("tests/solidity/conformance.json")
}

/// The names in `conformance.json`'s `functions`.
fn called_functions() -> Vec<String> {
    conformance()["functions"]
        .as_array()
        .expect("`functions` is an array")
        .iter()
        .map(|name| name.as_str().expect("function names are strings").to_owned())
        .collect()
}

/// DODO's official DSP ABI, the `reference` of `conformance.json`.
fn official_abi() -> Vec<Value> {
    let reference = conformance()["reference"].as_str().expect("`reference` is a path").to_owned();
    assert_eq!(reference, "abi/external/dodo/DSP.json", "the reference is DODO's DSP ABI");
    match repo_file(&reference) {
        Value::Array(entries) => entries,
        other => other["abi"].as_array().expect("an ABI array").clone(),
    }
}

fn fixture_abi() -> Vec<Value> {
    let artifact = Artifact::load("PmmPool").unwrap_or_else(|e| panic!("{e}"));
    artifact.abi.as_array().expect("the artifact's ABI is an array").clone()
}

/// The one function entry called `name`.
fn function<'a>(abi: &'a [Value], name: &str, label: &str) -> &'a Value {
    let found: Vec<&Value> = abi.iter().filter(|e| e["type"] == "function" && e["name"] == name).collect();
    assert_eq!(found.len(), 1, "{name}: {} function entries in {label}", found.len());
    found[0]
}

/// Canonical ABI type of a parameter: tuples spelled out, array suffixes
/// kept.
fn canonical(param: &Value) -> String {
    let ty = param["type"].as_str().expect("a parameter has a type");
    match ty.strip_prefix("tuple") {
        Some(suffix) => {
            let parts: Vec<String> = param["components"]
                .as_array()
                .expect("a tuple has components")
                .iter()
                .map(canonical)
                .collect();
            format!("({}){suffix}", parts.join(","))
        }
        None => ty.to_owned(),
    }
}

fn types(entry: &Value, key: &str) -> Vec<String> {
    entry[key].as_array().map(|params| params.iter().map(canonical).collect()).unwrap_or_default()
}

/// `view` and `pure` read; `nonpayable` and `payable` may write (and only
/// `payable` takes value).
fn mutability_class(entry: &Value) -> &'static str {
    match entry["stateMutability"].as_str() {
        Some("view" | "pure") => "read-only",
        Some("nonpayable") => "nonpayable",
        Some("payable") => "payable",
        other => panic!("unknown stateMutability {other:?} in {entry}"),
    }
}

fn signature(entry: &Value) -> String {
    format!(
        "{}({})",
        entry["name"].as_str().expect("a function has a name"),
        types(entry, "inputs").join(",")
    )
}

fn selector_of(signature: &str) -> [u8; 4] {
    keccak256(signature.as_bytes())[..4].try_into().expect("4 bytes")
}

/// How the fixture's entry differs from the official one (empty: none).
fn differences(ours: &Value, theirs: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if ours["name"] != theirs["name"] {
        out.push(format!("name {} vs {}", ours["name"], theirs["name"]));
    }
    for key in ["inputs", "outputs"] {
        let (a, b) = (types(ours, key), types(theirs, key));
        if a != b {
            out.push(format!("{key} ({}) vs ({})", a.join(","), b.join(",")));
        }
    }
    if mutability_class(ours) != mutability_class(theirs) {
        out.push(format!("mutability {} vs {}", ours["stateMutability"], theirs["stateMutability"]));
    }
    if selector_of(&signature(ours)) != selector_of(&signature(theirs)) {
        out.push(format!("selector of {} vs {}", signature(ours), signature(theirs)));
    }
    out
}

#[test]
fn conformance_list_covers_the_called_functions() {
    let listed = called_functions();
    for name in CALLED {
        assert!(listed.iter().any(|l| l == name), "conformance.json does not list {name}");
    }
    assert_eq!(conformance()["artifact"], "tests/solidity/artifacts/PmmPool.json");
}

#[test]
fn fixture_entries_match_the_official_abi() {
    let (ours, theirs) = (fixture_abi(), official_abi());
    for name in called_functions() {
        let (a, b) = (function(&ours, &name, "PmmPool"), function(&theirs, &name, "DSP.json"));
        assert_eq!(a["name"], b["name"]);
        assert_eq!(types(a, "inputs"), types(b, "inputs"), "{name}: input types");
        assert_eq!(types(a, "outputs"), types(b, "outputs"), "{name}: output types");
        assert_eq!(mutability_class(a), mutability_class(b), "{name}: state mutability");
        let (sa, sb) = (selector_of(&signature(a)), selector_of(&signature(b)));
        assert_eq!(sa, sb, "{name}: selectors of {} and {}", signature(a), signature(b));
        assert!(differences(a, b).is_empty());
    }
}

/// The checks can fail: a wrong signature has another selector, and an
/// entry changed in any compared part is reported.
#[test]
fn a_wrong_signature_is_caught() {
    let official = official_abi();
    let query = function(&official, "querySellBase", "DSP.json");
    assert_eq!(signature(query), "querySellBase(address,uint256)");
    assert_eq!(selector_of(&signature(query)), [0x79, 0xa0, 0x48, 0x76]);
    for wrong in
        ["querySellBase(address,uint128)", "querySellBase(uint256,address)", "querysellbase(address,uint256)"]
    {
        assert_ne!(selector_of(wrong), selector_of(&signature(query)), "{wrong}");
    }
    for name in called_functions() {
        let entry = function(&official, &name, "DSP.json");
        let extra =
            format!("{}({})", name, [types(entry, "inputs"), vec!["uint256".to_owned()]].concat().join(","));
        assert_ne!(selector_of(&extra), selector_of(&signature(entry)), "{extra}");
    }

    let fixture = fixture_abi();
    let ours = function(&fixture, "querySellBase", "PmmPool").clone();
    assert!(differences(&ours, query).is_empty());
    let mutate = |f: &dyn Fn(&mut Value)| {
        let mut changed = ours.clone();
        f(&mut changed);
        differences(&changed, query)
    };
    assert!(!mutate(&|e| e["name"] = json!("querySellBase2")).is_empty());
    assert!(!mutate(&|e| e["inputs"][1]["type"] = json!("uint128")).is_empty());
    assert!(!mutate(&|e| e["outputs"][2]["type"] = json!("uint256")).is_empty());
    assert!(!mutate(&|e| e["outputs"].as_array_mut().expect("outputs").truncate(3)).is_empty());
    assert!(!mutate(&|e| e["stateMutability"] = json!("nonpayable")).is_empty());
    // `pure` is read-only like `view`: same class.
    assert!(mutate(&|e| e["stateMutability"] = json!("pure")).is_empty());
}

// ------------------------------------------------------------ on the chain

/// An argument for official-ABI calldata.
#[derive(Clone, Debug)]
enum Arg {
    Address(Address),
    Uint(U256),
    Bytes(Vec<u8>),
}

fn word_of(arg: &Arg) -> [u8; 32] {
    match arg {
        Arg::Address(a) => a.into_word().0,
        Arg::Uint(v) => v.to_be_bytes(),
        Arg::Bytes(_) => unreachable!("dynamic"),
    }
}

/// Selector of the official entry, then its inputs ABI-encoded (static
/// words, and `bytes` in the tail).
fn calldata(entry: &Value, args: &[Arg]) -> Vec<u8> {
    let inputs = types(entry, "inputs");
    assert_eq!(inputs.len(), args.len(), "{}: arguments", signature(entry));
    let mut head = selector_of(&signature(entry)).to_vec();
    let mut tail = Vec::new();
    for (ty, arg) in inputs.iter().zip(args) {
        match (ty.as_str(), arg) {
            ("address", Arg::Address(_)) => head.extend_from_slice(&word_of(arg)),
            (t, Arg::Uint(_)) if t.starts_with("uint") => head.extend_from_slice(&word_of(arg)),
            ("bytes", Arg::Bytes(b)) => {
                let offset = 32 * inputs.len() + tail.len();
                head.extend_from_slice(&U256::from(offset).to_be_bytes::<32>());
                tail.extend_from_slice(&U256::from(b.len()).to_be_bytes::<32>());
                tail.extend_from_slice(b);
                tail.resize(tail.len().div_ceil(32) * 32, 0);
            }
            _ => panic!("{}: no encoding of {arg:?} as {ty} here", signature(entry)),
        }
    }
    head.extend(tail);
    head
}

/// Splits return data into one word per official output, checking the
/// length and that each word is a valid value of its type.
fn decode_outputs(entry: &Value, data: &[u8]) -> Vec<U256> {
    let name = signature(entry);
    let outputs = entry["outputs"].as_array().cloned().unwrap_or_default();
    assert_eq!(data.len(), 32 * outputs.len(), "{name}: return data of {} bytes", data.len());
    outputs
        .iter()
        .zip(data.chunks(32))
        .map(|(param, chunk)| {
            let word = U256::from_be_slice(chunk);
            let ty = canonical(param);
            let bits = match ty.as_str() {
                "address" => 160,
                "bool" => 1,
                t => t
                    .strip_prefix("uint")
                    .and_then(|n| n.parse::<usize>().ok())
                    .unwrap_or_else(|| panic!("{name}: no decoding of {t} here")),
            };
            assert!(word.bit_len() <= bits, "{name}: {word:#x} is not a {ty}");
            let internal = param["internalType"].as_str().unwrap_or_default();
            if internal.starts_with("enum ") && internal.ends_with("RState") {
                assert!(word <= U256::from(2u8), "{name}: R state {word}");
            }
            word
        })
        .collect()
}

/// A pool with 100 base (18 decimals) and 200,000 quote (6 decimals) at
/// i = 2,000 quote per base, after a sell each way and a flash loan of
/// nothing, all three called with official-ABI calldata.
struct Deployed {
    world: World,
    base: Address,
    quote: Address,
    pool: Address,
    i: U256,
    abi: Vec<Value>,
}

fn ok(world: &mut World, from: Address, to: Address, data: &[u8]) -> Vec<u8> {
    let out = world.call(from, to, data, U256::ZERO);
    assert!(out.success, "call to {to} failed: {out:?}");
    out.return_data
}

fn deploy() -> Deployed {
    let mut world = World::new();
    let supply = U256::from(10u8).pow(U256::from(30u8));
    let mut token = |symbol: &str, decimals: u8, holder: Address| {
        let args = TestToken::constructorCall {
            name: symbol.to_owned(),
            symbol: symbol.to_owned(),
            decimals,
            initialHolder: holder,
            initialSupply: supply,
        }
        .abi_encode();
        Artifact::load("TestToken").expect("TestToken").deploy(&mut world, OWNER, &args).expect("deploys")
    };
    let base = token("BASE", 18, OWNER);
    let quote = token("QUOTE", 6, OWNER);
    let i = U256::from(2_000_000_000u64); // 2,000e6 quote wei per 1e18 base wei, in 1e18
    let args = PmmPool::constructorCall {
        owner: OWNER,
        maintainer: MAINTAINER,
        baseToken: base,
        quoteToken: quote,
        lpFeeRate: U256::from(3_000_000_000_000_000u64),
        mtFeeRate: U256::from(1_000_000_000_000_000u64),
        i,
        k: U256::from(100_000_000_000_000_000u64),
        isOpenTWAP: true,
    }
    .abi_encode();
    let pool = Artifact::load("PmmPool").expect("PmmPool").deploy(&mut world, OWNER, &args).expect("deploys");
    for token in [base, quote] {
        ok(
            &mut world,
            OWNER,
            token,
            &TestToken::approveCall { spender: pool, amount: U256::MAX }.abi_encode(),
        );
        let to_trader = TestToken::transferCall { to: TRADER, amount: supply / U256::from(2u8) }.abi_encode();
        ok(&mut world, OWNER, token, &to_trader);
    }
    let deposit = PmmPool::depositCall {
        baseAmount: U256::from(100u8) * U256::from(10u8).pow(U256::from(18u8)),
        quoteAmount: U256::from(200_000_000_000u64),
    };
    ok(&mut world, OWNER, pool, &deposit.abi_encode());

    let abi = official_abi();
    let mut deployed = Deployed { world, base, quote, pool, i, abi };
    deployed.trade("sellBase", base, U256::from(10u8).pow(U256::from(18u8)));
    deployed.trade("sellQuote", quote, U256::from(1_000_000_000u64));
    let flash = calldata(
        function(&deployed.abi, "flashLoan", "DSP.json"),
        &[Arg::Uint(U256::ZERO), Arg::Uint(U256::ZERO), Arg::Address(TRADER), Arg::Bytes(Vec::new())],
    );
    let out = ok(&mut deployed.world, TRADER, pool, &flash);
    assert!(decode_outputs(function(&deployed.abi, "flashLoan", "DSP.json"), &out).is_empty());
    deployed
}

impl Deployed {
    /// Transfer-first sell through the official `sellBase(address)` /
    /// `sellQuote(address)`, after a minute.
    fn trade(&mut self, name: &str, token: Address, amount: U256) {
        self.world.advance(60);
        ok(&mut self.world, TRADER, token, &TestToken::transferCall { to: self.pool, amount }.abi_encode());
        let entry = function(&self.abi, name, "DSP.json").clone();
        let out = ok(&mut self.world, TRADER, self.pool, &calldata(&entry, &[Arg::Address(TRADER)]));
        let received = decode_outputs(&entry, &out);
        assert_eq!(received.len(), 1);
        assert!(received[0] > U256::ZERO, "{name} pays");
    }

    /// A read-only function through official calldata: its decoded words.
    fn view(&mut self, name: &str, args: &[Arg]) -> Vec<U256> {
        let entry = function(&self.abi, name, "DSP.json").clone();
        assert_eq!(mutability_class(&entry), "read-only", "{name}");
        let out = self.world.static_call(TRADER, self.pool, &calldata(&entry, args));
        assert!(out.success, "{name} reverts: {out:?}");
        decode_outputs(&entry, &out.return_data)
    }
}

#[test]
fn official_calldata_reaches_the_pool() {
    let mut d = deploy();
    let official = d.abi.clone();
    let mut checked = Vec::new();
    for name in called_functions() {
        let entry = function(&official, &name, "DSP.json");
        if mutability_class(entry) != "read-only" {
            // sellBase, sellQuote and flashLoan ran in `deploy`.
            assert!(["sellBase", "sellQuote", "flashLoan"].contains(&name.as_str()), "{name}: no call here");
            continue;
        }
        let args: Vec<Arg> = match name.as_str() {
            "querySellBase" => vec![Arg::Address(TRADER), Arg::Uint(U256::from(10u8).pow(U256::from(18u8)))],
            "querySellQuote" => vec![Arg::Address(TRADER), Arg::Uint(U256::from(2_000_000_000u64))],
            _ => Vec::new(),
        };
        let words = d.view(&name, &args);
        match name.as_str() {
            "_BASE_TOKEN_" => assert_eq!(words, [U256::from_be_slice(d.base.into_word().as_slice())]),
            "_QUOTE_TOKEN_" => assert_eq!(words, [U256::from_be_slice(d.quote.into_word().as_slice())]),
            "getPMMStateForCall" => {
                assert_eq!(words[0], d.i);
                assert!(words[6] <= U256::from(2u8));
            }
            "getVaultReserve" => assert!(words.iter().all(|w| !w.is_zero())),
            "getMidPrice" => assert!(!words[0].is_zero()),
            "querySellBase" | "querySellQuote" => assert!(!words[0].is_zero(), "{name} pays"),
            "_BASE_PRICE_CUMULATIVE_LAST_" => assert!(!words[0].is_zero(), "two trades a minute apart"),
            _ => {}
        }
        checked.push(name);
    }
    assert!(checked.len() >= 8, "{checked:?}");

    // The reserves agree between the two views that report them.
    let reserves = d.view("getVaultReserve", &[]);
    let state = d.view("getPMMStateForCall", &[]);
    assert_eq!(reserves, state[2..4]);

    // A selector the pool does not know is refused, not answered.
    let mut wrong = selector_of("querySellBase(address,uint128)").to_vec();
    wrong.extend_from_slice(
        &calldata(
            function(&official, "querySellBase", "DSP.json"),
            &[Arg::Address(TRADER), Arg::Uint(U256::from(1u8))],
        )[4..],
    );
    assert!(!d.world.static_call(TRADER, d.pool, &wrong).success);
}
