//! Nitro ink metering ([`vault_chain::meter`]): small hand-written WAT
//! programs are instrumented and run directly under wasmi with a given ink
//! budget, and the ink they use is checked against a cost worked out by hand
//! from Nitro's prices (the comments next to each program), block by block.
//!
//! Prices used below (Nitro `pricing_v1`; header from `config.rs`):
//! header 2,450 per block; `i32.const`/`i64.const`/`block`/`loop`/`else`/
//! `end`/`return` 1; `i32.add`/`i32.sub` 70; `local.get`/`local.tee` 75;
//! `local.set` 210; `global.get` 225; `br`/`br_if`/`if` 765; `call` 3,800;
//! `call_indirect` 13,610 + 650 per parameter; `br_table` 2,400 + 325 per
//! target; `memory.fill`/`memory.copy` 950 + 100 per byte; `memory.grow`
//! 8,050 + what `pay_for_memory_grow` charges.

use vault_chain::meter::{
    self, hostio, InkGlobals, MachineMeter, MemoryModel, MeterError, StylusPages, INK_HEADER_COST, INK_PRICE,
    STYLUS_INK_LEFT, STYLUS_INK_STATUS, STYLUS_SCRATCH_GLOBAL,
};
use wasmi::{Caller, Engine, Func, Global, Instance, Linker, Module, Mutability, Store, TrapCode, Val};

/// Host state of the test programs: the transaction's page counters and the
/// page counts `pay_for_memory_grow` was called with.
#[derive(Default)]
struct Host {
    pages: StylusPages,
    grows: Vec<u32>,
}

/// `vm_hooks::pay_for_memory_grow` priced as Nitro's host does (user-host-trait
/// `pay_for_memory_grow`): 0 pages buys the hostio's base ink, more pages buy
/// the memory model's gas.
fn pay_for_memory_grow(mut caller: Caller<'_, Host>, pages: u32) -> Result<(), wasmi::Error> {
    let globals = InkGlobals::from_caller(&caller).map_err(|e| wasmi::Error::new(e.to_string()))?;
    caller.data_mut().grows.push(pages);
    if pages == 0 {
        globals.buy_ink(&mut caller, meter::hostio_ink("pay_for_memory_grow", 0).unwrap())?;
        return Ok(());
    }
    let pages = u16::try_from(pages).unwrap_or(u16::MAX);
    let gas = caller.data_mut().pages.add_pages(&MemoryModel::ARBOS, pages);
    globals.buy_gas(&mut caller, gas, INK_PRICE)?;
    Ok(())
}

struct Program {
    store: Store<Host>,
    instance: Instance,
}

impl Program {
    /// Instantiates already instrumented `wasm`; links `pay_for_memory_grow`
    /// and an immutable `env::g = 37` for the programs that import them.
    fn load(wasm: &[u8]) -> Self {
        let engine = Engine::default();
        let module = Module::new(&engine, wasm).expect("instrumented wasm is valid");
        let mut store = Store::new(&engine, Host::default());
        let mut linker = Linker::new(&engine);
        linker.func_wrap("vm_hooks", "pay_for_memory_grow", pay_for_memory_grow).unwrap();
        let g = Global::new(&mut store, Val::I32(37), Mutability::Const);
        linker.define("env", "g", g).unwrap();
        let instance = linker.instantiate_and_start(&mut store, &module).expect("instantiates");
        Self { store, instance }
    }

    fn from_wat(wat: &str) -> Self {
        Self::load(&meter::instrument(&wat::parse_str(wat).unwrap()).expect("instruments"))
    }

    fn globals(&self) -> InkGlobals {
        InkGlobals::from_instance(&self.store, &self.instance).unwrap()
    }

    /// Calls `export` with `budget` ink.
    fn run(&mut self, export: &str, args: &[i32], budget: u64) -> Run {
        meter::set_ink_left(&mut self.store, &self.instance, budget).unwrap();
        let func: Func = self.instance.get_func(&self.store, export).expect("export");
        let args: Vec<Val> = args.iter().map(|a| Val::I32(*a)).collect();
        let mut results = vec![Val::I32(0); func.ty(&self.store).results().len()];
        let result = func.call(&mut self.store, &args, &mut results).map(|()| match results.first() {
            Some(Val::I32(x)) => Some(*x),
            _ => None,
        });
        let left = meter::ink_left(&self.store, &self.instance).unwrap();
        let status = meter::ink_status(&self.store, &self.instance).unwrap();
        Run { result, budget, left, status }
    }
}

struct Run {
    result: Result<Option<i32>, wasmi::Error>,
    budget: u64,
    left: u64,
    status: u32,
}

impl Run {
    /// Ink used by a run that finished.
    fn used(&self) -> u64 {
        assert_eq!(self.status, 0, "not exhausted");
        self.budget - self.left
    }

    fn value(&self) -> i32 {
        self.result.as_ref().expect("ran to the end").expect("returns an i32")
    }

    fn assert_out_of_ink(&self) {
        let error = self.result.as_ref().expect_err("traps");
        assert_eq!(error.as_trap_code(), Some(TrapCode::UnreachableCodeReached), "{error}");
        assert_eq!(self.status, 1);
    }
}

const BUDGET: u64 = 1_000_000_000;

/// Straight-line code is one basic block, paid by one header.
const STRAIGHT: &str = r#"
(module
  (func (export "add") (result i32)
    i32.const 1
    i32.const 2
    i32.add))
"#;
/// i32.const 1 + i32.const 1 + i32.add 70 + end 1 = 73, + header 2,450.
const STRAIGHT_INK: u64 = 1 + 1 + 70 + 1 + 2450;

#[test]
fn straight_line_pays_one_block() {
    let mut program = Program::from_wat(STRAIGHT);
    let run = program.run("add", &[], BUDGET);
    assert_eq!(run.value(), 3);
    assert_eq!(STRAIGHT_INK, 2523);
    assert_eq!(run.used(), STRAIGHT_INK);
    assert_eq!(program.globals().meter(&program.store), MachineMeter::Ready(BUDGET - STRAIGHT_INK));
}

#[test]
fn exact_budget_suffices_and_one_less_traps_with_ink_unchanged() {
    let mut program = Program::from_wat(STRAIGHT);
    let run = program.run("add", &[], STRAIGHT_INK);
    assert_eq!(run.value(), 3);
    assert_eq!(run.left, 0);

    // The header finds 2,522 < 2,523: status 1, trap, and the ink global
    // keeps its value (Nitro writes only the status); the meter reads exhausted.
    let run = program.run("add", &[], STRAIGHT_INK - 1);
    run.assert_out_of_ink();
    assert_eq!(run.left, STRAIGHT_INK - 1);
    let globals = program.globals();
    assert_eq!(globals.meter(&program.store), MachineMeter::Exhausted);
    assert_eq!(globals.ink_ready(&mut program.store), Err(meter::OutOfInk));
}

/// A counting loop: `n` times around.
const LOOP: &str = r#"
(module
  (func (export "count") (param $n i32)
    loop $again
      local.get $n
      i32.const 1
      i32.sub
      local.tee $n
      br_if $again
    end))
"#;
/// Block A, `loop` itself: 1 + header = 2,451, once.
const LOOP_ENTRY: u64 = 1 + 2450;
/// Block B, the body: local.get 75 + i32.const 1 + i32.sub 70 + local.tee 75
/// + `br_if` 765 = 986, + header = 3,436, once per iteration.
const LOOP_BODY: u64 = 75 + 1 + 70 + 75 + 765 + 2450;
/// Blocks C (the loop's `end`) and D (the function's `end`): 2,451 each.
const LOOP_EXIT: u64 = 2 * (1 + 2450);

#[test]
fn loop_pays_its_body_block_per_iteration() {
    assert_eq!((LOOP_ENTRY, LOOP_BODY, LOOP_EXIT), (2451, 3436, 4902));
    let mut program = Program::from_wat(LOOP);
    for n in [1_u64, 2, 10, 100] {
        let run = program.run("count", &[i32::try_from(n).unwrap()], BUDGET);
        assert_eq!(run.result.as_ref().unwrap(), &None);
        assert_eq!(run.used(), LOOP_ENTRY + n * LOOP_BODY + LOOP_EXIT, "n = {n}");
    }
    // n = 10: 2,451 + 34,360 + 4,902.
    assert_eq!(program.run("count", &[10], BUDGET).used(), 41_713);
}

#[test]
fn loop_runs_out_of_ink_mid_way() {
    let mut program = Program::from_wat(LOOP);
    // Enough for the entry and three iterations, plus 1,000 that cannot buy a fourth.
    let budget = LOOP_ENTRY + 3 * LOOP_BODY + 1000;
    let run = program.run("count", &[10], budget);
    run.assert_out_of_ink();
    assert_eq!(run.left, 1000);
}

/// `if`/`else` and a `br_if` out of a `block`.
const BRANCHY: &str = r#"
(module
  (func (export "branchy") (param $x i32) (result i32)
    (local $r i32)
    local.get $x
    if
      i32.const 10
      local.set $r
    else
      i32.const 20
      local.set $r
    end
    block $skip
      local.get $x
      br_if $skip
      local.get $r
      i32.const 1
      i32.add
      local.set $r
    end
    local.get $r))
"#;
/// B1: local.get 75 + if 765 = 840 + header.
const B1: u64 = 75 + 765 + 2450;
/// B2, the `then` arm: i32.const 1 + local.set 210 + else 1.
const B2: u64 = 1 + 210 + 1 + 2450;
/// B3, the `else` arm: i32.const 1 + local.set 210 + end 1.
const B3: u64 = 1 + 210 + 1 + 2450;
/// B4: `block` 1 + `local.get` 75 + `br_if` 765 (`block` does not end a block).
const B4: u64 = 1 + 75 + 765 + 2450;
/// B5, skipped when `br_if` is taken: local.get 75 + i32.const 1 + i32.add 70 + local.set 210 + end 1.
const B5: u64 = 75 + 1 + 70 + 210 + 1 + 2450;
/// B6: local.get 75 + end 1.
const B6: u64 = 75 + 1 + 2450;

#[test]
fn if_else_and_br_if_pay_only_the_blocks_taken() {
    assert_eq!((B1, B2, B3, B4, B5, B6), (3290, 2662, 2662, 3291, 2807, 2526));
    let mut program = Program::from_wat(BRANCHY);

    let taken = program.run("branchy", &[1], BUDGET);
    assert_eq!(taken.value(), 10);
    assert_eq!(taken.used(), B1 + B2 + B4 + B6);
    assert_eq!(taken.used(), 11_769);

    let not_taken = program.run("branchy", &[0], BUDGET);
    assert_eq!(not_taken.value(), 21);
    assert_eq!(not_taken.used(), B1 + B3 + B4 + B5 + B6);
    assert_eq!(not_taken.used(), 14_576);
}

/// `call` ends a block in the caller; the callee's body is its own block.
const CALLS: &str = r#"
(module
  (func $double (param i32) (result i32)
    local.get 0
    local.get 0
    i32.add)
  (func (export "quadruple_plus_one") (param $x i32) (result i32)
    local.get $x
    call $double
    call $double
    i32.const 1
    i32.add))
"#;
/// `$double`: local.get 75 × 2 + i32.add 70 + end 1 = 221 + header.
const DOUBLE: u64 = 75 + 75 + 70 + 1 + 2450;
/// Caller block 1: local.get 75 + call 3,800; block 2: call 3,800; block 3:
/// i32.const 1 + i32.add 70 + end 1.
const CALLER: [u64; 3] = [75 + 3800 + 2450, 3800 + 2450, 1 + 70 + 1 + 2450];

#[test]
fn calls_end_blocks_and_callees_pay_their_own() {
    assert_eq!(DOUBLE, 2671);
    assert_eq!(CALLER, [6325, 6250, 2522]);
    let mut program = Program::from_wat(CALLS);
    let run = program.run("quadruple_plus_one", &[5], BUDGET);
    assert_eq!(run.value(), 21);
    assert_eq!(run.used(), CALLER.iter().sum::<u64>() + 2 * DOUBLE);
    assert_eq!(run.used(), 20_439);
}

/// `call_indirect` through a table, and `br_table`.
const TABLES: &str = r#"
(module
  (type $binary (func (param i32 i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $add $sub)
  (func $add (type $binary) local.get 0 local.get 1 i32.add)
  (func $sub (type $binary) local.get 0 local.get 1 i32.sub)
  (func (export "dispatch") (param $which i32) (result i32)
    i32.const 7
    i32.const 5
    local.get $which
    call_indirect (type $binary))
  (func (export "switch") (param $i i32) (result i32)
    block $c
      block $b
        block $a
          local.get $i
          br_table $a $b $c
        end
        i32.const 10
        return
      end
      i32.const 20
      return
    end
    i32.const 30))
"#;
/// `dispatch` block 1: `i32.const` 1 × 2 + `local.get` 75 + `call_indirect`
/// (13,610 + 650 × 2 parameters) = 14,987 + header; block 2: end 1 + header.
const DISPATCH: u64 = (1 + 1 + 75 + 13_610 + 650 * 2 + 2450) + (1 + 2450);
/// `$add`/`$sub`: local.get 75 × 2 + 70 + end 1 + header.
const BINARY: u64 = 75 + 75 + 70 + 1 + 2450;
/// `switch` block 1: `block` 1 × 3 + `local.get` 75 + `br_table` (2,400 + 325 × 2
/// targets; the default is not counted) = 3,128 + header; then the arm
/// taken: i32.const 1 + return 1 (or + end 1) + header.
const SWITCH: u64 = (1 + 1 + 1 + 75 + 2400 + 325 * 2 + 2450) + (1 + 1 + 2450);

#[test]
fn call_indirect_and_br_table_prices() {
    assert_eq!((DISPATCH, BINARY, SWITCH), (19_888, 2671, 8030));
    let mut program = Program::from_wat(TABLES);
    let add = program.run("dispatch", &[0], BUDGET);
    assert_eq!(add.value(), 12);
    assert_eq!(add.used(), DISPATCH + BINARY);
    let sub = program.run("dispatch", &[1], BUDGET);
    assert_eq!(sub.value(), 2);
    assert_eq!(sub.used(), DISPATCH + BINARY);
    for (i, expected) in [(0, 10), (1, 20), (2, 30), (7, 30)] {
        let run = program.run("switch", &[i], BUDGET);
        assert_eq!(run.value(), expected);
        assert_eq!(run.used(), SWITCH, "i = {i}");
    }
}

/// `memory.fill` and `memory.copy` pay 100 ink per byte inside their block.
const BULK: &str = r#"
(module
  (memory (export "memory") 1 1)
  (func (export "fill") (param $n i32)
    i32.const 0
    i32.const 7
    local.get $n
    memory.fill)
  (func (export "copy") (param $n i32)
    i32.const 1000
    i32.const 0
    local.get $n
    memory.copy))
"#;
/// i32.const 1 × 2 + local.get 75 + memory.fill/copy 950 + end 1 = 1,028 + header.
const BULK_BLOCK: u64 = 1 + 1 + 75 + 950 + 1 + 2450;

#[test]
fn bulk_memory_pays_per_byte() {
    assert_eq!(BULK_BLOCK, 3478);
    let mut program = Program::from_wat(BULK);
    for n in [0_u64, 1, 64, 4096] {
        let fill = program.run("fill", &[i32::try_from(n).unwrap()], BUDGET);
        assert_eq!(fill.used(), BULK_BLOCK + 100 * n, "fill {n}");
        let copy = program.run("copy", &[i32::try_from(n).unwrap()], BUDGET);
        assert_eq!(copy.used(), BULK_BLOCK + 100 * n, "copy {n}");
    }
    assert_eq!(program.run("fill", &[64], BUDGET).used(), 9878);
}

#[test]
fn bulk_memory_out_of_ink_wraps_the_ink_global() {
    let mut program = Program::from_wat(BULK);
    // The header leaves 6,399; 64 bytes cost 6,400. Nitro's dynamic meter
    // subtracts first and checks for the wrap after, so the global holds
    // 6,399 − 6,400 modulo 2^64 while the status says exhausted.
    let run = program.run("fill", &[64], BULK_BLOCK + 6399);
    run.assert_out_of_ink();
    assert_eq!(run.left, u64::MAX);
    assert_eq!(program.globals().meter(&program.store), MachineMeter::Exhausted);
}

/// A growable memory: `pay_for_memory_grow` is called before each `memory.grow`.
const GROW: &str = r#"
(module
  (import "vm_hooks" "pay_for_memory_grow" (func $pay (param i32)))
  (memory (export "memory") 1 4)
  (func (export "grow") (param $pages i32) (result i32)
    local.get $pages
    memory.grow))
"#;
/// local.get 75 + memory.grow 8,050 + end 1 = 8,126 + header; the inserted
/// call to `pay_for_memory_grow` is not metered as an opcode and ends no block.
const GROW_BLOCK: u64 = 75 + 8050 + 1 + 2450;

#[test]
fn memory_grow_pays_through_the_hostio() {
    assert_eq!(GROW_BLOCK, 10_576);
    let mut program = Program::from_wat(GROW);
    // The program's first page counts as open (its footprint); ever = 1.
    let (footprint_gas, _) = program.store.data_mut().pages.start_call(&MemoryModel::ARBOS, 1);
    assert_eq!(footprint_gas, 0, "1 page is within the 2 free pages");

    // 1 → 3 pages: 1 page past the 2 free ones, 1,000 gas; the exponential
    // term is 1 at both 1 and 3 pages. 1,000 gas = 10,000,000 ink.
    let run = program.run("grow", &[2], BUDGET);
    assert_eq!(run.value(), 1);
    assert_eq!(run.used(), GROW_BLOCK + 1000 * 10_000);

    // 0 pages: the hostio's base, 8,400 ink.
    let run = program.run("grow", &[0], BUDGET);
    assert_eq!(run.value(), 3);
    assert_eq!(run.used(), GROW_BLOCK + hostio::HOSTIO_INK);
    assert_eq!(run.used(), 18_976);

    // Past the maximum: memory.grow fails, but the pages were paid first (as
    // in Nitro): open 3 → 5 pages, 2,000 gas plus exp(5) − exp(3) = 0.
    let run = program.run("grow", &[2], BUDGET);
    assert_eq!(run.value(), -1);
    assert_eq!(run.used(), GROW_BLOCK + 2000 * 10_000);
    assert_eq!(program.store.data().grows, [2, 0, 2]);
    assert_eq!(program.store.data().pages, StylusPages { open: 5, ever: 5 });

    // Not enough for the page gas: the hostio marks the meter exhausted and
    // traps with `OutOfInk`.
    let run = program.run("grow", &[1], GROW_BLOCK + 1000);
    let error = run.result.as_ref().unwrap_err();
    assert!(error.downcast_ref::<meter::OutOfInk>().is_some(), "{error}");
    assert_eq!(run.status, 1);
}

/// An imported global and a defined one keep their indices; the meter's
/// globals come after both.
const GLOBALS: &str = r#"
(module
  (import "env" "g" (global $g i32))
  (global $h (mut i32) (i32.const 5))
  (func (export "sum") (result i32)
    global.get $g
    global.get $h
    i32.add))
"#;

#[test]
fn existing_globals_keep_their_indices() {
    let wasm = meter::instrument(&wat::parse_str(GLOBALS).unwrap()).unwrap();
    let mut program = Program::load(&wasm);
    let run = program.run("sum", &[], BUDGET);
    assert_eq!(run.value(), 42);
    // global.get 225 × 2 + i32.add 70 + end 1 + header.
    assert_eq!(run.used(), 225 + 225 + 70 + 1 + INK_HEADER_COST);
    assert_eq!(run.used(), 2971);

    let exports = global_exports(&wasm);
    assert_eq!(
        exports,
        [
            (STYLUS_INK_LEFT.to_owned(), 2),
            (STYLUS_INK_STATUS.to_owned(), 3),
            (STYLUS_SCRATCH_GLOBAL.to_owned(), 4)
        ]
    );
}

/// Exported globals by name and index.
fn global_exports(wasm: &[u8]) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::ExportSection(reader) = payload.unwrap() {
            for export in reader {
                let export = export.unwrap();
                if export.kind == wasmparser::ExternalKind::Global {
                    out.push((export.name.to_owned(), export.index));
                }
            }
        }
    }
    out
}

#[test]
fn module_without_globals_or_exports_gets_both_sections() {
    let wasm = meter::instrument(&wat::parse_str("(module (func $f nop))").unwrap()).unwrap();
    wasmparser::Validator::new().validate_all(&wasm).unwrap();
    assert_eq!(global_exports(&wasm).iter().map(|(_, i)| *i).collect::<Vec<_>>(), [0, 1, 2]);
}

#[test]
fn refusals() {
    let instrument = |wat: &str| meter::instrument(&wat::parse_str(wat).unwrap());
    let once = instrument(STRAIGHT).unwrap();
    assert_eq!(meter::instrument(&once), Err(MeterError::AlreadyExported(STYLUS_INK_LEFT)));
    assert_eq!(
        instrument(r#"(module (memory (export "memory") 1))"#),
        Err(MeterError::MissingPayForMemoryGrow)
    );
    assert_eq!(
        instrument(r#"(module (import "vm_hooks" "pay_for_memory_grow" (func (param i64))) (memory 1))"#),
        Err(MeterError::PayForMemoryGrowType)
    );
    let init = r#"(module (memory 1 1) (data "x") (func i32.const 0 i32.const 0 i32.const 1 memory.init 0))"#;
    assert!(matches!(instrument(init), Err(MeterError::UnsupportedOpcode { .. })));
    assert!(matches!(meter::instrument(b"\0asm"), Err(MeterError::Invalid(_))));
}

#[test]
fn uninstrumented_instance_has_no_ink_globals() {
    let engine = Engine::default();
    let module = Module::new(&engine, wat::parse_str(STRAIGHT).unwrap()).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine).instantiate_and_start(&mut store, &module).unwrap();
    assert_eq!(meter::ink_left(&store, &instance), Err(MeterError::MissingGlobal(STYLUS_INK_LEFT)));
}

#[test]
fn price_tables() {
    use wasmparser::Operator;
    assert_eq!(meter::opcode_ink(&Operator::I32Add, &[]), 70);
    assert_eq!(meter::opcode_ink(&Operator::I64DivU, &[]), 1270);
    assert_eq!(meter::opcode_ink(&Operator::Drop, &[]), 9);
    assert_eq!(meter::opcode_ink(&Operator::I64Popcnt, &[]), 6000);
    assert_eq!(meter::opcode_ink(&Operator::F32Add, &[]), u64::MAX);
    assert_eq!(
        meter::opcode_ink(&Operator::CallIndirect { type_index: 1, table_index: 0 }, &[None, Some(3)]),
        15_560
    );

    // Hostio bases (Nitro pricing.rs): HOSTIO_INK 8,400, PTR_INK 5,040, EVM_API_INK 59,673.
    assert_eq!(hostio::PTR_INK, 5040);
    assert_eq!(hostio::STORAGE_LOAD_BASE_INK, 18_480);
    assert_eq!(hostio::CALL_CONTRACT_BASE_INK, 83_193);
    assert_eq!(hostio::CREATE2_BASE_INK, 88_233);
    assert_eq!(hostio::MATH_MUL_MOD_BASE_INK, 52_660);
    assert_eq!(meter::write_price(32), 5040);
    assert_eq!(meter::write_price(100), 5040 + 30 * 68);
    assert_eq!(meter::read_price(100), 16_381 + 55 * 68);
    assert_eq!(meter::keccak_price(64), 121_800);
    assert_eq!(meter::keccak_price(100), 121_800 + 2 * 21_000);
    assert_eq!(meter::pow_price(&[0; 32]), 3000 + 17_500);
    assert_eq!(meter::pow_price(&[0xff; 32]), 3000 + 33 * 17_500);
    assert_eq!(meter::evm_log_gas(2, 64), 3 * 375 + 64 * 8);

    assert_eq!(meter::hostio_ink("read_args", 36), Some(8400 + 5040 + 30 * 4));
    assert_eq!(meter::hostio_ink("write_result", 32), Some(8400 + 2 * 16_381));
    assert_eq!(meter::hostio_ink("msg_sender", 0), Some(13_440));
    assert_eq!(meter::hostio_ink("static_call_contract", 68), Some(83_193 + 2 * (16_381 + 55 * 36)));
    assert_eq!(meter::hostio_ink("native_keccak256", 32), Some(121_800));
    assert_eq!(meter::hostio_ink("pay_for_memory_grow", 0), Some(8400));
    assert_eq!(meter::hostio_ink("pay_for_memory_grow", 3), Some(0));
    assert_eq!(meter::hostio_ink("exit_early", 0), Some(0));
    assert_eq!(meter::hostio_ink("no_such_hook", 0), None);

    assert_eq!(meter::gas_to_ink(21_000, INK_PRICE), 210_000_000);
    assert_eq!(meter::ink_to_gas(19_999, INK_PRICE), 1);
}

#[test]
fn memory_page_model() {
    // Within the 2 free pages: free.
    assert_eq!(meter::memory_grow_gas(0, 0, 2), 0);
    // 2 → 3: 1,000 linear, exp(3) − exp(2) = 0.
    assert_eq!(meter::memory_grow_gas(2, 2, 1), 1000);
    // Reopening pages below the high-water mark pays only the linear part.
    assert_eq!(meter::memory_grow_gas(2, 10, 4), 4000);
    // 4 → 24: 20 pages past the free ones, exp(24) − exp(4) = 25 − 1.
    assert_eq!(meter::memory_grow_gas(4, 4, 20), 20_024);
    // 0 → 128 pages (8 MiB): 126,000 linear + 31,873,999 − 1: about 32 million gas.
    assert_eq!(meter::memory_grow_gas(0, 0, 128), 31_999_998);
    // Past 128 pages the exponential term saturates.
    assert_eq!(meter::memory_grow_gas(0, 0, 129), u64::MAX);

    let mut pages = StylusPages::default();
    let (gas, restore) = pages.start_call(&MemoryModel::ARBOS, 2);
    assert_eq!((gas, restore), (0, 0));
    let (gas, restore) = pages.start_call(&MemoryModel::ARBOS, 2);
    assert_eq!((gas, restore), (2000, 2));
    pages.set_open(restore);
    assert_eq!(pages, StylusPages { open: 2, ever: 4 });
}

fn reserve_sizer_wasm() -> Option<Vec<u8>> {
    let path = vault_chain::artifacts::contract_wasm_path("reserve_sizer");
    match std::fs::read(&path) {
        Ok(wasm) => Some(wasm),
        Err(e) => {
            eprintln!(
                "SKIPPED: cannot read {} ({e}); build it with `cargo build --release --target \
                 wasm32-unknown-unknown -p reserve-sizer --lib` (or scripts/build-wasm)",
                path.display()
            );
            None
        }
    }
}

/// Links every import of `module` to a stub that returns zeros, except,
/// when `metered`, `pay_for_memory_grow`, which charges as Nitro does.
fn stub_linker(engine: &Engine, module: &Module, metered: bool) -> Linker<Host> {
    let mut linker = Linker::new(engine);
    if metered {
        linker.func_wrap("vm_hooks", "pay_for_memory_grow", pay_for_memory_grow).unwrap();
    }
    for import in module.imports() {
        let wasmi::ExternType::Func(ty) = import.ty() else { continue };
        if metered && import.name() == "pay_for_memory_grow" {
            continue;
        }
        linker
            .func_new(import.module(), import.name(), ty.clone(), |_, _, results| {
                for result in results.iter_mut() {
                    *result = Val::default_for_ty(result.ty());
                }
                Ok(())
            })
            .unwrap();
    }
    linker
}

#[test]
fn reserve_sizer_wasm_still_validates_and_runs() {
    let Some(raw) = reserve_sizer_wasm() else { return };
    // The processed, uncompressed form that is deployed (cargo-stylus's text
    // round trip, custom sections stripped), checked against the activation rules.
    let wasm = vault_wasm_pack::pack(&raw).expect("packs").wasm;
    let metered = meter::instrument(&wasm).expect("instruments");
    // Nitro checks the size limits before instrumenting; the metered module is larger.
    wasmparser::Validator::new().validate_all(&metered).expect("instrumented wasm validates");
    eprintln!("ReserveSizer: {} bytes, {} bytes instrumented", wasm.len(), metered.len());

    let engine = Engine::default();
    let module = Module::new(&engine, &metered).unwrap();
    assert!(
        module.imports().any(|i| i.module() == "vm_hooks" && i.name() == "pay_for_memory_grow"),
        "the SDK imports pay_for_memory_grow"
    );
    let mut store = Store::new(&engine, Host::default());
    let instance = stub_linker(&engine, &module, true).instantiate_and_start(&mut store, &module).unwrap();
    meter::set_ink_left(&mut store, &instance, BUDGET).unwrap();
    let entrypoint = instance.get_typed_func::<i32, i32>(&store, "user_entrypoint").unwrap();
    // Empty calldata: the router finds no selector and returns; every hostio is a zero stub.
    let status = entrypoint.call(&mut store, 0);
    let used = BUDGET - meter::ink_left(&store, &instance).unwrap();
    let ink_status = meter::ink_status(&store, &instance).unwrap();
    eprintln!(
        "ReserveSizer user_entrypoint(0): {status:?}, {used} ink, status {ink_status}, \
         pay_for_memory_grow calls {:?}",
        store.data().grows
    );
    assert_eq!(ink_status, 0);
    assert!(used > INK_HEADER_COST, "some blocks were paid: {used}");

    // The same call without metering gives the same result.
    let module = Module::new(&engine, &wasm).unwrap();
    let mut store = Store::new(&engine, Host::default());
    let instance = stub_linker(&engine, &module, false).instantiate_and_start(&mut store, &module).unwrap();
    let plain = instance.get_typed_func::<i32, i32>(&store, "user_entrypoint").unwrap().call(&mut store, 0);
    assert_eq!(plain.as_ref().map_err(ToString::to_string), status.as_ref().map_err(ToString::to_string));

    // A budget one short of what that call used runs out of ink.
    let mut store = Store::new(&engine, Host::default());
    let module = Module::new(&engine, &metered).unwrap();
    let instance = stub_linker(&engine, &module, true).instantiate_and_start(&mut store, &module).unwrap();
    meter::set_ink_left(&mut store, &instance, used - 1).unwrap();
    let entrypoint = instance.get_typed_func::<i32, i32>(&store, "user_entrypoint").unwrap();
    assert!(entrypoint.call(&mut store, 0).is_err());
    assert_eq!(meter::ink_status(&store, &instance).unwrap(), 1);
}
