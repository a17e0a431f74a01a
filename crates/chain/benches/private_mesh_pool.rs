//! Gas of the PrivateMeshPool's calls on the in-process chain: a direct
//! swap each way, a triangulated swap, a swap through a DPP backend, the
//! quote views, deposit and withdraw, a poke and a registration. Prints
//! figures; asserts nothing about time. Run:
//! `cargo bench -p vault-chain --bench private_mesh_pool` (after building
//! the wasm, `scripts/build-wasm`).
//!
//! Every token is an OpenZeppelin `TestToken` (Solidity, on the EVM side),
//! the oracles are `PriceOracle`s and the DPP is the `PmmPool` fixture, so
//! the figures include their EVM execution. Each call's gas is printed
//! three ways: as this chain meters it, and as Nitro charges it with its
//! per-call entry cost, the mesh uncached and cached (`common`).

// cUSDT and cUSDC are `usdt` and `usdc`.
#![allow(clippy::similar_names)]

mod common;

use std::time::Instant;

use alloy_primitives::{address, keccak256, Address, U256};
use alloy_sol_types::{sol, SolCall};
use common::{
    args, header, legend, measure, ok, row, send, stylus_constructor, Priced, ADMIN, DEPLOYER, LP, OTHER,
};
use vault_chain::{artifacts::Artifact, World};

sol! {
    function stylusConstructor(address admin, address xau);
    function grantRole(bytes32 role, address account);
    function registerPool(address token, address oracle, uint256 k, uint256 feeRate, uint256 minTokenReserve, uint256 minXauReserve, uint64 maxJumpBps, uint64 maxGapBps, uint64 maxOracleAge);
    function setBackend(address token, address backend);
    function deposit(address token, uint256 tokenAmount, uint256 xauAmount);
    function withdraw(address token, uint256 tokenAmount, uint256 xauAmount, address to);
    function swap(address tokenIn, address tokenOut, uint256 amountIn, uint256 minAmountOut, address to) returns (uint256);
    function quote(address tokenIn, address tokenOut, uint256 amountIn) view returns (uint256);
    function poolState(address token) view returns (uint256, uint256, uint256, uint256, uint8, uint256, uint256, uint64);
    function poke(address token) returns (uint256);

    function tokenConstructor(string name, string symbol, uint8 decimals, address holder, uint256 supply);
    function mint(address to, uint256 amount);
    function approve(address spender, uint256 amount) returns (bool);
    function oracleConstructor(address owner, uint256 initialPrice);
    function pmmConstructor(address owner, address maintainer, address baseToken, address quoteToken, uint256 lpFeeRate, uint256 mtFeeRate, uint256 i, uint256 k, bool isOpenTWAP);
    function pmmDeposit(uint256 baseAmount, uint256 quoteAmount);
}

const MESH: Address = address!("00000000000000000000000000000000000e5400");
const STABILIZER: Address = address!("0000000000000000000000000000000000005ab1");
const RECEIVER: Address = address!("0000000000000000000000000000000000007ec1");
const FEEDER: Address = address!("0000000000000000000000000000000000000fee");

fn u(value: u128) -> U256 {
    U256::from(value)
}

fn deploy(world: &mut World, name: &str, ctor: &[u8]) -> Address {
    Artifact::load(name).unwrap().deploy(world, DEPLOYER, ctor).expect("deploys")
}

/// A measured transaction `from` → `to` that must succeed.
fn measured<C: SolCall>(world: &mut World, from: Address, to: Address, call: &C) -> Priced {
    measure(world, from, to, &call.abi_encode(), false, C::SIGNATURE)
}

#[allow(clippy::too_many_lines)]
fn main() {
    const PRICE: u128 = 300_000_000_000_000_000_000_000_000; // 0.0003 XAU per 6-decimal token
    const LIQUIDITY: (u128, u128) = (1_000_000_000_000, 300_000_000_000_000_000_000);
    let mut world = World::new();
    world.advance(1);
    let token = |world: &mut World, symbol: &str, decimals: u8| {
        let ctor = tokenConstructorCall {
            name: symbol.into(),
            symbol: symbol.into(),
            decimals,
            holder: DEPLOYER,
            supply: U256::ZERO,
        };
        deploy(world, "TestToken", &args(&ctor))
    };
    let xau = token(&mut world, "XAU", 18);
    let tokens =
        [token(&mut world, "cUSDT", 6), token(&mut world, "cUSDC", 6), token(&mut world, "cEURT", 6)];
    world.deploy_stylus(MESH, &common::wasm("private_mesh_pool")).expect("PrivateMeshPool deploys");
    let ctor = stylus_constructor(&args(&stylusConstructorCall { admin: ADMIN, xau }));
    let constructed = measure(&mut world, DEPLOYER, MESH, &ctor, false, "constructor");
    for (role, account) in [("STABILIZER_ROLE", STABILIZER), ("LIQUIDITY_PROVIDER_ROLE", LP)] {
        send(&mut world, ADMIN, MESH, &grantRoleCall { role: keccak256(role), account });
    }
    let register = |token: Address, oracle: Address| registerPoolCall {
        token,
        oracle,
        k: u(100_000_000_000_000_000),
        feeRate: u(300_000_000_000_000),
        minTokenReserve: u(1_000_000_000),
        minXauReserve: u(100_000_000_000_000_000),
        maxJumpBps: 50,
        maxGapBps: 200,
        maxOracleAge: 3_600,
    };
    let mut registered = None;
    for asset in tokens {
        let oracle = deploy(
            &mut world,
            "PriceOracle",
            &args(&oracleConstructorCall { owner: FEEDER, initialPrice: u(PRICE) }),
        );
        if registered.is_none() {
            registered = Some(measured(&mut world, ADMIN, MESH, &register(asset, oracle)));
        } else {
            send(&mut world, ADMIN, MESH, &register(asset, oracle));
        }
    }
    for who in [LP, STABILIZER] {
        for asset in tokens.iter().chain([&xau]) {
            send(&mut world, DEPLOYER, *asset, &mintCall { to: who, amount: u(LIQUIDITY.1 * 100) });
            send(&mut world, who, *asset, &approveCall { spender: MESH, amount: U256::MAX });
        }
    }
    let mut first_deposit = None;
    for asset in tokens {
        let deposit = depositCall { token: asset, tokenAmount: u(LIQUIDITY.0), xauAmount: u(LIQUIDITY.1) };
        if first_deposit.is_none() {
            first_deposit = Some(measured(&mut world, LP, MESH, &deposit));
        } else {
            send(&mut world, LP, MESH, &deposit);
        }
    }
    // cEURT's swaps go through a DPP (the PmmPool fixture) instead.
    let dpp = deploy(
        &mut world,
        "PmmPool",
        &args(&pmmConstructorCall {
            owner: DEPLOYER,
            maintainer: OTHER,
            baseToken: tokens[2],
            quoteToken: xau,
            lpFeeRate: u(300_000_000_000_000),
            mtFeeRate: U256::ZERO,
            i: u(PRICE),
            k: u(100_000_000_000_000_000),
            isOpenTWAP: false,
        }),
    );
    for asset in [tokens[2], xau] {
        send(&mut world, DEPLOYER, asset, &mintCall { to: DEPLOYER, amount: u(LIQUIDITY.1 * 10) });
        send(&mut world, DEPLOYER, asset, &approveCall { spender: dpp, amount: U256::MAX });
    }
    let mut pmm_deposit = keccak256("deposit(uint256,uint256)")[..4].to_vec();
    pmm_deposit.extend_from_slice(&args(&pmmDepositCall {
        baseAmount: u(LIQUIDITY.0),
        quoteAmount: u(LIQUIDITY.1),
    }));
    ok(world.call(DEPLOYER, dpp, &pmm_deposit, U256::ZERO), "PmmPool deposit");
    let backend_set = measured(&mut world, ADMIN, MESH, &setBackendCall { token: tokens[2], backend: dpp });
    world.advance(1);

    legend();
    println!();
    header("PrivateMeshPool on the in-process chain (tokens: OpenZeppelin ERC-20s on the EVM side)");
    row("constructor (tx)", &constructed);
    row("registerPool, new pool (tx)", registered.as_ref().unwrap());
    row("setBackend (tx; reads the DPP's two tokens)", &backend_set);
    row("deposit, first (tx)", first_deposit.as_ref().unwrap());
    let [usdt, usdc, eurt] = tokens;
    let swap = |world: &mut World, token_in: Address, token_out: Address, amount: U256| {
        let call = swapCall {
            tokenIn: token_in,
            tokenOut: token_out,
            amountIn: amount,
            minAmountOut: U256::ZERO,
            to: RECEIVER,
        };
        measured(world, STABILIZER, MESH, &call)
    };
    let view = |world: &mut World, call: &[u8]| measure(world, OTHER, MESH, call, true, "view");
    row(
        "quote, direct (view)",
        &view(
            &mut world,
            &quoteCall { tokenIn: usdt, tokenOut: xau, amountIn: u(1_000_000_000) }.abi_encode(),
        ),
    );
    row(
        "quote, triangulated (view)",
        &view(
            &mut world,
            &quoteCall { tokenIn: usdt, tokenOut: usdc, amountIn: u(1_000_000_000) }.abi_encode(),
        ),
    );
    row(
        "quote, through the DPP (view)",
        &view(
            &mut world,
            &quoteCall { tokenIn: eurt, tokenOut: xau, amountIn: u(1_000_000_000) }.abi_encode(),
        ),
    );
    row("poolState (view)", &view(&mut world, &poolStateCall { token: usdt }.abi_encode()));
    row("swap token -> XAU, direct (tx)", &swap(&mut world, usdt, xau, u(1_000_000_000)));
    row("swap XAU -> token, direct (tx)", &swap(&mut world, xau, usdt, u(300_000_000_000_000_000)));
    row("swap token -> token, triangulated (tx)", &swap(&mut world, usdt, usdc, u(1_000_000_000)));
    row("swap token -> XAU through the DPP backend (tx)", &swap(&mut world, eurt, xau, u(1_000_000_000)));
    row("swap token -> token, internal then DPP (tx)", &swap(&mut world, usdc, eurt, u(1_000_000_000)));
    world.advance(1);
    row("swap token -> XAU, first in a new L2 block (tx)", &swap(&mut world, usdt, xau, u(1_000_000_000)));
    row(
        "deposit, both sides (tx)",
        &measured(
            &mut world,
            LP,
            MESH,
            &depositCall { token: usdt, tokenAmount: u(1_000_000), xauAmount: u(1_000_000) },
        ),
    );
    row(
        "withdraw, both sides (tx)",
        &measured(
            &mut world,
            LP,
            MESH,
            &withdrawCall { token: usdt, tokenAmount: u(1_000_000), xauAmount: u(1_000_000), to: RECEIVER },
        ),
    );
    world.advance(1);
    row("poke (tx)", &measured(&mut world, OTHER, MESH, &pokeCall { token: usdc }));

    println!();
    println!("{:<58} {:>10} {:>14}", "throughput", "calls", "calls/s");
    let quote = quoteCall { tokenIn: usdt, tokenOut: usdc, amountIn: u(1_000_000) }.abi_encode();
    let start = Instant::now();
    for _ in 0..2_000 {
        ok(world.static_call(OTHER, MESH, &quote), "quote");
    }
    let rate = 2_000.0 / start.elapsed().as_secs_f64();
    println!("{:<58} {:>10} {rate:>14.0}", "quote, triangulated (Stylus view, two oracle reads)", 2_000);
}
