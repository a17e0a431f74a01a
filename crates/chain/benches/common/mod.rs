//! What the four benches share: the accounts, the call helpers, and the
//! one way every measured call is run and printed, with its gas three ways.
//!
//! **The three gas figures.** Each measured call runs on the bench's
//! [`World`] as it is (`gas_used`: the chain's metered gas, whose ink
//! matches Nitro's), and on two clones of that world taken just before it,
//! in which Nitro's activation rules are on and every Stylus program of the
//! world is activated through `ArbWasm.activateProgram` (from a funded
//! account, as a deployer would): in one clone no program is cached, in the
//! other every one is (`World::cache_program`). Those two are the gas Nitro
//! charges with its per-call entry cost: every Stylus program entered in
//! the call (nested ones too, once per entry) pays `cachedGas` = 11 × 32 +
//! cachedCost, and `initGas` = 69 × 128 + initCost on top when it is not
//! cached (Stylus v2).
//!
//! **What is checked, on every measured call** (a wrong figure panics):
//! - the three runs agree (success, return data, logs);
//! - `uncached − cached` = Σ over the program entries of
//!   (`gas − gasWhenCached`) as `ArbWasm.programInitGas(program)` answers it
//!   on the activated clone; that answer is (initGas + cachedGas,
//!   cachedGas), so the difference per entry is initGas. With several
//!   programs in the world, each one's number of entries is measured on a
//!   further clone in which only it is uncached (its difference from the
//!   cached run must be a whole multiple of its initGas), and those
//!   differences must add up to `uncached − cached`;
//! - `cached − gas_used` = Σ over the same entries of `gasWhenCached`;
//! - a call to a Stylus program enters it at least once.

#![allow(dead_code)] // each bench uses a part of this module

use alloy_primitives::{address, keccak256, Address, U256};
use alloy_sol_types::{sol, SolCall};
use vault_chain::{CallOutcome, World};

sol! {
    function programInitGas(address program) external view returns (uint64 gas, uint64 gasWhenCached);
}

/// The accounts the benches share.
pub const DEPLOYER: Address = address!("000000000000000000000000000000000000de91");
pub const ADMIN: Address = address!("000000000000000000000000000000000000ad01");
pub const OTHER: Address = address!("0000000000000000000000000000000000000a55");
pub const KEEPER: Address = address!("000000000000000000000000000000000000cee9");
pub const OWNER: Address = address!("0000000000000000000000000000000000000e4e");
pub const LP: Address = address!("0000000000000000000000000000000000001f01");
pub const REPORTER: Address = address!("000000000000000000000000000000000000be01");
/// FlashContainment's address in the benches that deploy it.
pub const FC: Address = address!("00000000000000000000000000000000000f1a5c");
pub const ARB_SYS: Address = address!("0000000000000000000000000000000000000064");
/// Pays the activations in the Nitro-priced clones (nothing else uses it).
const ACTIVATOR: Address = address!("00000000000000000000000000000000000ac7a7");

/// A contract's compiled wasm (`scripts/build-wasm`), by file stem.
pub fn wasm(stem: &str) -> Vec<u8> {
    vault_chain::artifacts::contract_wasm(stem).unwrap_or_else(|e| panic!("{e}"))
}

/// A contract's wasm packed as `cargo stylus` deploys it.
pub fn packed(stem: &str) -> Vec<u8> {
    vault_wasm_pack::pack(&wasm(stem)).expect("packs").code
}

/// Calldata of a Stylus constructor (stylus-sdk 0.9's selector, whatever
/// the parameters) with the ABI-encoded `args`.
pub fn stylus_constructor(args: &[u8]) -> Vec<u8> {
    let mut data = keccak256("stylus_constructor()")[..4].to_vec();
    data.extend_from_slice(args);
    data
}

/// A call's ABI-encoded arguments, without the selector.
pub fn args<C: SolCall>(call: &C) -> Vec<u8> {
    call.abi_encode()[4..].to_vec()
}

/// Asserts that a call succeeded.
pub fn ok(outcome: CallOutcome, what: &str) -> CallOutcome {
    assert!(outcome.success, "{what}: {outcome:?}");
    outcome
}

/// A transaction `from` → `to` that must succeed (not measured).
pub fn send<C: SolCall>(world: &mut World, from: Address, to: Address, call: &C) -> CallOutcome {
    ok(world.call(from, to, &call.abi_encode(), U256::ZERO), C::SIGNATURE)
}

/// Intrinsic gas of a call transaction: 21,000 and the calldata's, 4 per
/// zero byte and 16 per other (EIP-2028).
pub fn intrinsic(calldata: &[u8]) -> u64 {
    21_000 + calldata.iter().map(|byte| if *byte == 0 { 4 } else { 16 }).sum::<u64>()
}

/// One measured call: its outcome on the bench's world and on the two
/// Nitro-priced clones (see the module docs).
#[derive(Debug, Clone)]
pub struct Priced {
    /// The call's calldata (for the intrinsic gas).
    pub calldata: Vec<u8>,
    /// On the bench's world: the chain's metered gas.
    pub outcome: CallOutcome,
    /// With every program activated and none cached.
    pub uncached: CallOutcome,
    /// With every program activated and cached.
    pub cached: CallOutcome,
    /// Stylus program entries in the call (nested ones included).
    pub entries: u64,
}

impl Priced {
    /// Asserts that the call succeeded.
    pub fn ok(self, what: &str) -> Self {
        assert!(self.outcome.success, "{what}: {:?}", self.outcome);
        self
    }

    /// The execution gas: `gas_used` less the intrinsic gas.
    pub fn execution(&self) -> u64 {
        self.outcome.gas_used.saturating_sub(intrinsic(&self.calldata))
    }
}

/// `gas_used` three ways: metered, Nitro uncached, Nitro cached.
pub fn gas_used(priced: &Priced) -> [u64; 3] {
    [&priced.outcome, &priced.uncached, &priced.cached].map(|outcome| outcome.gas_used)
}

/// The execution gas (`gas_used` less the intrinsic gas) three ways.
pub fn executions(priced: &Priced) -> [u64; 3] {
    gas_used(priced).map(|gas| gas.saturating_sub(intrinsic(&priced.calldata)))
}

/// A clone of `world` with Nitro's activation rules on and every Stylus
/// program activated through `ArbWasm.activateProgram`, none cached; and
/// those programs, in address order.
fn activated(world: &World) -> (World, Vec<Address>) {
    assert!(!world.program_activation(), "the benches' worlds run without Nitro's activation rules");
    let mut nitro = world.clone();
    nitro.set_balance(ACTIVATOR, U256::from(10u8).pow(U256::from(21u8)));
    let value = U256::from(10u8).pow(U256::from(18u8));
    let programs = nitro
        .activate_stylus_programs(ACTIVATOR, value, false)
        .unwrap_or_else(|o| panic!("activateProgram: {o:?}"));
    (nitro, programs)
}

/// `world` with every program of `programs` cached except `uncached`.
fn cached_but(activated: &World, programs: &[Address], uncached: Option<Address>) -> World {
    let mut world = activated.clone();
    for program in programs.iter().filter(|p| Some(**p) != uncached) {
        let (_, changed) = world.cache_program(*program, true).expect("an active program caches");
        assert!(changed, "{program} was cached already");
    }
    world
}

fn run(world: &mut World, from: Address, to: Address, calldata: &[u8], view: bool) -> CallOutcome {
    if view {
        world.static_call(from, to, calldata)
    } else {
        world.call(from, to, calldata, U256::ZERO)
    }
}

/// Runs `calldata` from `from` to `to` (an `eth_call` when `view`) on
/// `world`, and on the Nitro-priced clones; checks the figures (see the
/// module docs). Does not require success. Forgets the world's kept logs
/// first (`World::clear_logs`), so that the clones do not copy them.
///
/// # Panics
/// When the runs disagree or a figure breaks a relation checked.
pub fn price(world: &mut World, from: Address, to: Address, calldata: &[u8], view: bool) -> Priced {
    priced(world, from, to, calldata, view, true)
}

/// [`measure`] for a call whose output reports gas (a probe): the three
/// runs' outputs are not compared.
pub fn measure_probe(world: &mut World, from: Address, to: Address, calldata: &[u8], what: &str) -> Priced {
    priced(world, from, to, calldata, false, false).ok(what)
}

fn priced(
    world: &mut World,
    from: Address,
    to: Address,
    calldata: &[u8],
    view: bool,
    same_output: bool,
) -> Priced {
    world.clear_logs();
    let (nitro, programs) = activated(world);
    let outcome = run(world, from, to, calldata, view);
    let uncached = run(&mut nitro.clone(), from, to, calldata, view);
    let cached = run(&mut cached_but(&nitro, &programs, None), from, to, calldata, view);
    for other in [&uncached, &cached] {
        assert_eq!(
            (other.success, &other.logs),
            (outcome.success, &outcome.logs),
            "Nitro-priced run differs"
        );
        assert!(!same_output || other.return_data == outcome.return_data, "Nitro-priced output differs");
    }
    // (initGas + cachedGas, cachedGas) per program, as ArbWasm answers.
    let init_gas: Vec<(u64, u64)> = programs
        .iter()
        .map(|program| {
            let query = programInitGasCall { program: *program }.abi_encode();
            let answer = ok(
                nitro.clone().static_call(OTHER, vault_chain::arb_wasm::ARB_WASM, &query),
                "programInitGas",
            );
            let answer = programInitGasCall::abi_decode_returns(&answer.return_data, true).expect("decodes");
            (answer.gas, answer.gasWhenCached)
        })
        .collect();
    let difference = uncached.gas_used.checked_sub(cached.gas_used).expect("uncached costs at least cached");
    // Entries per program: each alone uncached when there are several.
    let entries: Vec<u64> = match programs.len() {
        0 => Vec::new(),
        1 => vec![difference],
        _ => programs
            .iter()
            .map(|program| {
                let mut alone = cached_but(&nitro, &programs, Some(*program));
                let alone = run(&mut alone, from, to, calldata, view);
                alone.gas_used.checked_sub(cached.gas_used).expect("uncached costs at least cached")
            })
            .collect(),
    }
    .into_iter()
    .zip(&init_gas)
    .map(|(extra, (gas, when_cached))| {
        let init = gas - when_cached;
        assert_eq!(extra % init, 0, "{extra} gas is not a whole number of entries at initGas {init}");
        extra / init
    })
    .collect();
    let entered = |per_entry: &dyn Fn(&(u64, u64)) -> u64| -> u64 {
        entries.iter().zip(&init_gas).map(|(k, figures)| k * per_entry(figures)).sum()
    };
    assert_eq!(difference, entered(&|(gas, cached)| gas - cached), "uncached - cached != Σ initGas");
    assert_eq!(
        cached.gas_used.checked_sub(outcome.gas_used),
        Some(entered(&|(_, cached)| *cached)),
        "cached - metered != Σ cachedGas"
    );
    if let Some(i) = programs.iter().position(|p| *p == to) {
        assert!(entries[i] > 0, "a call to the Stylus program {to} did not enter it");
    }
    Priced { calldata: calldata.to_vec(), outcome, uncached, cached, entries: entries.iter().sum() }
}

/// [`price`], then asserts success.
pub fn measure(
    world: &mut World,
    from: Address,
    to: Address,
    calldata: &[u8],
    view: bool,
    what: &str,
) -> Priced {
    price(world, from, to, calldata, view).ok(what)
}

const NAME: usize = 62;

/// Prints a table's title and the columns' header.
pub fn header(title: &str) {
    println!("{title}");
    println!(
        "{:<NAME$} {:>9} {:>9} {:>9} {:>14} {:>9} {:>9} {:>7}",
        "call", "gas_used", "intrinsic", "execution", "ink", "uncached", "cached", "entries"
    );
}

/// The legend printed once before the first table.
pub fn legend() {
    println!(
        "gas_used: as metered by this chain (wasmi 2.0 + revm 19.7; Nitro's ink, 10,000 per gas), without"
    );
    println!("Nitro's per-call entry cost; intrinsic: 21,000 + calldata; execution: gas_used - intrinsic.");
    println!("uncached / cached: gas_used as Nitro charges it, every Stylus program activated, none / all");
    println!("cached: + cachedGas per program entry, + initGas when uncached; entries: program entries.");
}

/// Prints a measured call.
pub fn row(name: &str, priced: &Priced) {
    let outcome = &priced.outcome;
    println!(
        "{name:<NAME$} {:>9} {:>9} {:>9} {:>14} {:>9} {:>9} {:>7}",
        outcome.gas_used,
        intrinsic(&priced.calldata),
        priced.execution(),
        outcome.ink_used,
        priced.uncached.gas_used,
        priced.cached.gas_used,
        priced.entries,
    );
}

/// Prints a derived figure, in the execution column.
pub fn line(name: &str, gas: i128) {
    println!("{name:<NAME$} {:>9} {:>9} {gas:>9}", "", "");
}

/// Prints a derived figure three ways: metered in the execution column,
/// Nitro's uncached and cached in theirs.
pub fn lines(name: &str, [gas, uncached, cached]: [i128; 3]) {
    println!("{name:<NAME$} {:>9} {:>9} {gas:>9} {:>14} {uncached:>9} {cached:>9}", "", "", "");
}
