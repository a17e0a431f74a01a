//! The keeper's decision against a scripted endpoint: what it reads, when
//! it pokes, and what it plans; and the error names it logs.

use std::collections::VecDeque;

use alloy_primitives::{keccak256, Address, Bytes, Log, U256};
use alloy_sol_types::{SolCall, SolEvent, SolValue};
use vault_keeper::abi::{dodo, error_name, fc, feed, stab};
use vault_keeper::{
    run_ready, CallResult, Endpoint, EndpointError, GasStats, Plan, PoolSpec, Sent, TokenSpec,
};
use vault_math::sizing::FeeRates;

/// Answers views by selector; records every call.
#[derive(Default)]
struct Scripted {
    views: Vec<([u8; 4], CallResult)>,
    sends: VecDeque<Sent>,
    calls: Vec<(Address, [u8; 4])>,
}

impl Scripted {
    fn answer<C: SolCall>(&mut self, data: Vec<u8>, success: bool) {
        self.views.push((C::SELECTOR, CallResult { success, data: data.into(), gas_used: None }));
    }
}

impl Endpoint for Scripted {
    async fn view(&mut self, to: Address, calldata: Bytes) -> Result<CallResult, EndpointError> {
        let selector: [u8; 4] = calldata[..4].try_into().unwrap();
        self.calls.push((to, selector));
        self.views.iter().find(|(s, _)| *s == selector).map(|(_, r)| r.clone()).ok_or_else(|| {
            EndpointError(format!("no answer for 0x{}", alloy_primitives::hex::encode(selector)))
        })
    }

    async fn send(&mut self, to: Address, calldata: Bytes) -> Result<Sent, EndpointError> {
        self.calls.push((to, calldata[..4].try_into().unwrap()));
        self.sends.pop_front().ok_or_else(|| EndpointError("no send scripted".into()))
    }
}

fn spec() -> PoolSpec {
    PoolSpec {
        pool: Address::repeat_byte(1),
        stabilizer: Address::repeat_byte(2),
        containment: Address::repeat_byte(3),
        oracle: Address::repeat_byte(4),
        base: TokenSpec { address: Address::repeat_byte(5), decimals: 6 },
        quote: TokenSpec { address: Address::repeat_byte(6), decimals: 6 },
        threshold_bps: 8,
        sustain_blocks: 2,
        fees: FeeRates { lp: U256::from(300_000_000_000_000u64), mt: U256::ZERO },
    }
}

fn e18() -> U256 {
    U256::from(10u8).pow(U256::from(18))
}

/// A market whose mid price is `mid` against an oracle at 1.
fn market(mid: U256) -> Scripted {
    let mut endpoint = Scripted::default();
    endpoint.answer::<dodo::getMidPriceCall>(mid.abi_encode(), true);
    endpoint.answer::<feed::latestPriceCall>((e18(), U256::from(1u8)).abi_encode(), true);
    endpoint
}

fn observed(streak: u64) -> Sent {
    let spec = spec();
    let event = fc::Observed {
        pool: spec.pool,
        blockNumber: 7,
        deviationBps: -40,
        sign: -1,
        streak,
        midPrice: U256::ZERO,
        oraclePrice: e18(),
    };
    let log = Log { address: spec.containment, data: event.encode_log_data() };
    Sent { success: true, gas_used: 91_000, logs: vec![log], output: Bytes::new() }
}

#[test]
fn in_the_band_it_only_reads() {
    let mut endpoint = market(e18() - e18() / U256::from(2_000u64)); // -5 bps
    let plan =
        run_ready(vault_keeper::turn(&mut endpoint, &spec(), false, &mut GasStats::default())).unwrap();
    assert!(matches!(plan, Plan::Idle));
    assert!(endpoint.calls.iter().all(|(to, _)| *to != spec().containment), "no poke in the band");
}

#[test]
fn past_theta_it_pokes_and_skips_check_deviation_below_n() {
    let mut endpoint = market(e18() - e18() / U256::from(250u64)); // -40 bps
    endpoint.sends.push_back(observed(1));
    let mut gas = GasStats::default();
    let plan = run_ready(vault_keeper::turn(&mut endpoint, &spec(), false, &mut gas)).unwrap();
    assert!(matches!(plan, Plan::Idle));
    assert_eq!(endpoint.calls.last(), Some(&(spec().containment, fc::pokeCall::SELECTOR)));
    assert_eq!(gas.calls["poke"], (1, 91_000, 91_000));
}

#[test]
fn a_refusing_keeper_trade_is_named() {
    let mut endpoint = market(e18() - e18() / U256::from(250u64));
    endpoint.sends.push_back(observed(2));
    endpoint.answer::<stab::checkDeviationCall>(
        (alloy_primitives::I256::try_from(-40).unwrap(), true).abi_encode(),
        true,
    );
    let too_early = [&keccak256("TooEarly(uint64,uint64)")[..4], &(7u64, 8u64).abi_encode()[..]].concat();
    endpoint.answer::<stab::keeperTradeCall>(too_early, false);
    let plan =
        run_ready(vault_keeper::turn(&mut endpoint, &spec(), false, &mut GasStats::default())).unwrap();
    assert!(matches!(plan, Plan::Refused(ref name) if name == "TooEarly"), "{plan:?}");
}

#[test]
fn a_reverting_poke_is_an_error_by_name() {
    let mut endpoint = market(e18() - e18() / U256::from(250u64));
    let paused = keccak256("EnforcedPause()")[..4].to_vec();
    endpoint.sends.push_back(Sent { success: false, gas_used: 0, logs: Vec::new(), output: paused.into() });
    let error =
        run_ready(vault_keeper::turn(&mut endpoint, &spec(), false, &mut GasStats::default())).unwrap_err();
    assert!(error.to_string().contains("EnforcedPause"), "{error}");
}

#[test]
fn error_names_reach_inside_mesh_swap_failed() {
    let inner = keccak256("BelowMinAmountOut(uint256,uint256)")[..4].to_vec();
    let mut data = keccak256("MeshSwapFailed(bytes)")[..4].to_vec();
    data.extend_from_slice(&Bytes::from(inner).abi_encode());
    assert_eq!(error_name(&data), "MeshSwapFailed(BelowMinAmountOut)");
    assert_eq!(error_name(&[]), "revert (no data)");
}

#[test]
#[should_panic(expected = "must never wait")]
fn run_ready_refuses_a_waiting_future() {
    run_ready(std::future::pending::<()>());
}

#[test]
fn a_stabilized_event_is_read_from_the_logs() {
    let event = stab::Stabilized {
        pool: spec().pool,
        tokenIn: spec().quote.address,
        tokenOut: spec().base.address,
        amountIn: U256::from(5u8),
        amountOut: U256::from(4u8),
        meshReturned: U256::ZERO,
        twapDeviationBps: alloy_primitives::I256::ZERO,
        oraclePrice: e18(),
        midPriceBefore: U256::from(1u8),
        midPriceAfter: U256::from(2u8),
        l2Block: 9,
    };
    let log = Log { address: spec().stabilizer, data: event.encode_log_data() };
    let sent = Sent { success: true, gas_used: 1, logs: vec![log], output: Bytes::new() };
    let events = vault_keeper::stabilized(&sent);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].amountIn, U256::from(5u8));
}

#[test]
fn a_trade_is_planned_only_for_a_block_where_the_sustain_rule_holds() {
    let spec = spec();
    // N = 2: the rule looks at the last 3 blocks.
    assert_eq!(vault_keeper::decide::sustain_window_start(&spec, 120), 118);
    // Pokes past θ in every other block (117, 119): sustained in 119, the
    // poke's block, and not in 120, where a trade sent now lands.
    let alternate = [(117, 41), (119, 41)];
    assert!(vault_keeper::decide::sustained_at(&spec, &alternate, 119));
    assert!(!vault_keeper::decide::sustained_at(&spec, &alternate, 120));
    // Consecutive pokes (119, 120): sustained in 121.
    assert!(vault_keeper::decide::sustained_at(&spec, &[(119, 41), (120, 41)], 121));
    // In the band (|dev| ≤ θ) does not count; nor does a stale newest one.
    assert!(!vault_keeper::decide::sustained_at(&spec, &[(119, 41), (120, 8)], 121));
    assert!(!vault_keeper::decide::sustained_at(&spec, &[(118, -20), (119, -20)], 121));
}
