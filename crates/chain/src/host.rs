//! The Stylus `vm_hooks` host ABI over a [`Backend`], and the runtime that
//! loads and runs programs under wasmi.
//!
//! Each frame gets its own wasmi `Store` and instance; the backend is moved
//! into the store for the frame and moved back after it. Storage writes go
//! through a per-frame cache, as in Nitro: `storage_cache_bytes32` only
//! caches, `storage_flush_cache` writes to the backend, and writes left in
//! the cache when the frame ends are dropped (the SDK flushes on success).
//!
//! Pointers from the program are checked against its memory: an
//! out-of-bounds access, a state change in a static frame, more than four
//! log topics and the like end the frame with a trap
//! ([`ChainError::Trap`]), never a panic.

use std::{cell::RefCell, collections::BTreeMap, collections::HashMap, rc::Rc};

use alloy_primitives::{keccak256, Address, Bytes, Log, B256, U256};
use wasmi::{Caller, Engine, Error, Linker, Memory, Module, Store, StoreLimits, StoreLimitsBuilder};

use crate::{
    backend::{Backend, CallKind, CallRequest, FrameResult},
    ChainError,
};

/// Gas reported by `evm_gas_left` while there is no metering.
pub const FIXED_GAS_LEFT: u64 = 30_000_000;
/// Ink per gas (Nitro's default ink price, also reported by `tx_ink_price`).
pub const INK_PER_GAS: u64 = 10_000;
/// The deepest call allowed, as in the EVM.
pub const MAX_CALL_DEPTH: usize = 1024;
/// Most bytes of memory a program may have (Nitro's 128 pages).
pub const MAX_MEMORY_BYTES: usize = 128 * 65_536;

/// Loads, caches and runs Stylus programs for backend `B`.
pub struct Runtime<B> {
    engine: Engine,
    linker: Linker<HostData<B>>,
    hostios: Vec<&'static str>,
    programs: RefCell<HashMap<B256, Module>>,
    active: RefCell<Vec<Address>>,
    max_depth: usize,
}

impl<B> std::fmt::Debug for Runtime<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("hostios", &self.hostios.len())
            .field("programs", &self.programs.borrow().len())
            .field("max_depth", &self.max_depth)
            .finish_non_exhaustive()
    }
}

/// What a host function sees: the backend, the frame and its buffers.
pub struct HostData<B> {
    backend: B,
    runtime: Rc<Runtime<B>>,
    frame: CallRequest,
    reentrant: bool,
    memory: Option<Memory>,
    output: Vec<u8>,
    return_data: Vec<u8>,
    cache: BTreeMap<B256, CacheSlot>,
    limits: StoreLimits,
}

#[derive(Clone, Copy)]
struct CacheSlot {
    value: B256,
    dirty: bool,
}

impl<B: Backend> Default for Runtime<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B: Backend> Runtime<B> {
    /// A runtime with every hostio linked.
    pub fn new() -> Self {
        let engine = Engine::default();
        let mut linker = Linker::new(&engine);
        let hostios = link(&mut linker);
        Self {
            engine,
            linker,
            hostios,
            programs: RefCell::default(),
            active: RefCell::default(),
            max_depth: MAX_CALL_DEPTH,
        }
    }

    /// Names of the `vm_hooks` functions this runtime provides.
    pub fn hostios(&self) -> &[&'static str] {
        &self.hostios
    }

    /// The deepest frame allowed.
    pub fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// Sets the deepest frame allowed. Each nested Stylus frame uses native
    /// stack; keep this low on small thread stacks.
    pub fn set_max_depth(&mut self, depth: usize) {
        self.max_depth = depth;
    }

    /// Decodes, validates and compiles Stylus account code (cached by code
    /// hash), and checks that every import is a provided hostio.
    ///
    /// # Errors
    /// [`ChainError::Pack`] for code that would not activate,
    /// [`ChainError::UnknownImport`], [`ChainError::Instantiate`] when wasmi
    /// refuses the module.
    pub fn program(&self, code: &[u8]) -> Result<Module, ChainError> {
        let hash = keccak256(code);
        if let Some(module) = self.programs.borrow().get(&hash) {
            return Ok(module.clone());
        }
        let wasm = vault_wasm_pack::decode_code(code)?;
        vault_wasm_pack::validate(&wasm)?;
        let module = Module::new(&self.engine, &wasm).map_err(|e| ChainError::Instantiate(e.to_string()))?;
        for import in module.imports() {
            if import.module() != "vm_hooks" || !self.hostios.contains(&import.name()) {
                return Err(ChainError::UnknownImport {
                    module: import.module().to_owned(),
                    name: import.name().to_owned(),
                });
            }
        }
        self.programs.borrow_mut().insert(hash, module.clone());
        Ok(module)
    }

    /// Runs Stylus `code` for `frame` on `backend`: `user_entrypoint(len)`,
    /// status 0 is success and 1 a revert. Does not checkpoint or transfer
    /// value: [`Backend::call`] does, around this.
    pub fn run(self: &Rc<Self>, backend: &mut B, frame: CallRequest, code: &[u8]) -> FrameResult {
        let module = match self.program(code) {
            Ok(module) => module,
            Err(e) => return FrameResult::failure(e),
        };
        let reentrant = self.active.borrow().contains(&frame.address);
        self.active.borrow_mut().push(frame.address);
        let data = HostData {
            backend: std::mem::take(backend),
            runtime: Rc::clone(self),
            frame,
            reentrant,
            memory: None,
            output: Vec::new(),
            return_data: Vec::new(),
            cache: BTreeMap::new(),
            limits: StoreLimitsBuilder::new().memory_size(MAX_MEMORY_BYTES).build(),
        };
        let mut store = Store::new(&self.engine, data);
        store.limiter(|data| &mut data.limits);
        let status = self.enter(&mut store, &module);
        self.active.borrow_mut().pop();
        let data = store.into_data();
        *backend = data.backend;
        match status {
            Ok(0) => FrameResult::success(data.output),
            Ok(1) => FrameResult::revert(data.output),
            Ok(other) => FrameResult::failure(ChainError::BadStatus(other)),
            Err(e) => FrameResult::failure(e),
        }
    }

    fn enter(&self, store: &mut Store<HostData<B>>, module: &Module) -> Result<i32, ChainError> {
        let instance = self
            .linker
            .instantiate_and_start(&mut *store, module)
            .map_err(|e| ChainError::Instantiate(e.to_string()))?;
        let memory = instance
            .get_memory(&*store, "memory")
            .ok_or_else(|| ChainError::Instantiate("no exported memory".into()))?;
        store.data_mut().memory = Some(memory);
        let entrypoint = instance
            .get_typed_func::<i32, i32>(&*store, "user_entrypoint")
            .map_err(|e| ChainError::Instantiate(e.to_string()))?;
        let len = i32::try_from(store.data().frame.input.len())
            .map_err(|_| ChainError::Instantiate("calldata too long".into()))?;
        match entrypoint.call(&mut *store, len) {
            Ok(status) => Ok(status),
            Err(e) => e.i32_exit_status().ok_or_else(|| ChainError::Trap(e.to_string())),
        }
    }
}

type Ctx<'a, B> = Caller<'a, HostData<B>>;

fn trap(hostio: &str, why: impl std::fmt::Display) -> Error {
    Error::new(format!("vm_hooks::{hostio}: {why}"))
}

fn memory<B>(caller: &Ctx<'_, B>, hostio: &str) -> Result<Memory, Error> {
    caller.data().memory.ok_or_else(|| trap(hostio, "called before memory was exported"))
}

fn check_bounds<B>(caller: &Ctx<'_, B>, hostio: &str, ptr: u32, len: usize) -> Result<Memory, Error> {
    let memory = memory(caller, hostio)?;
    let size = memory.data_size(caller);
    if (ptr as usize).checked_add(len).is_none_or(|end| end > size) {
        return Err(trap(
            hostio,
            format!("out of bounds memory access: {len} bytes at {ptr:#x}, memory is {size} bytes"),
        ));
    }
    Ok(memory)
}

fn read_bytes<B>(caller: &Ctx<'_, B>, hostio: &str, ptr: u32, len: u32) -> Result<Vec<u8>, Error> {
    let memory = check_bounds(caller, hostio, ptr, len as usize)?;
    let mut buffer = vec![0; len as usize];
    memory.read(caller, ptr as usize, &mut buffer).map_err(|e| trap(hostio, e))?;
    Ok(buffer)
}

fn read_word<B>(caller: &Ctx<'_, B>, hostio: &str, ptr: u32) -> Result<B256, Error> {
    let memory = check_bounds(caller, hostio, ptr, 32)?;
    let mut word = B256::ZERO;
    memory.read(caller, ptr as usize, word.as_mut_slice()).map_err(|e| trap(hostio, e))?;
    Ok(word)
}

fn read_address<B>(caller: &Ctx<'_, B>, hostio: &str, ptr: u32) -> Result<Address, Error> {
    let memory = check_bounds(caller, hostio, ptr, 20)?;
    let mut address = Address::ZERO;
    memory.read(caller, ptr as usize, address.as_mut_slice()).map_err(|e| trap(hostio, e))?;
    Ok(address)
}

fn write_bytes<B>(caller: &mut Ctx<'_, B>, hostio: &str, ptr: u32, bytes: &[u8]) -> Result<(), Error> {
    let memory = check_bounds(caller, hostio, ptr, bytes.len())?;
    memory.write(caller, ptr as usize, bytes).map_err(|e| trap(hostio, e))
}

fn write_u32<B>(caller: &mut Ctx<'_, B>, hostio: &str, ptr: u32, value: usize) -> Result<(), Error> {
    let value = u32::try_from(value).map_err(|_| trap(hostio, "length does not fit in 32 bits"))?;
    write_bytes(caller, hostio, ptr, &value.to_le_bytes())
}

fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// Defines hostio `name` and records it in `names`.
macro_rules! hostio {
    ($linker:ident, $names:ident, $name:literal, $func:expr) => {{
        $linker.func_wrap("vm_hooks", $name, $func).expect(concat!("hostio ", $name, " defined once"));
        $names.push($name);
    }};
}

/// Links every hostio and returns their names.
#[allow(clippy::too_many_lines)]
fn link<B: Backend>(linker: &mut Linker<HostData<B>>) -> Vec<&'static str> {
    let mut names = Vec::new();

    // Calldata, return data, exit.
    hostio!(linker, names, "read_args", |mut c: Ctx<'_, B>, dest: u32| {
        let input = std::mem::take(&mut c.data_mut().frame.input);
        let written = write_bytes(&mut c, "read_args", dest, &input);
        c.data_mut().frame.input = input;
        written
    });
    hostio!(linker, names, "write_result", |mut c: Ctx<'_, B>, ptr: u32, len: u32| {
        c.data_mut().output = read_bytes(&c, "write_result", ptr, len)?;
        Ok(())
    });
    hostio!(linker, names, "exit_early", |_c: Ctx<'_, B>, status: u32| -> Result<(), Error> {
        Err(Error::i32_exit(i32::try_from(status).unwrap_or(i32::MAX)))
    });
    hostio!(linker, names, "return_data_size", |c: Ctx<'_, B>| len_u32(c.data().return_data.len()));
    hostio!(linker, names, "read_return_data", |mut c: Ctx<'_, B>, dest: u32, offset: u32, size: u32| {
        let data = std::mem::take(&mut c.data_mut().return_data);
        let start = (offset as usize).min(data.len());
        let end = start.saturating_add(size as usize).min(data.len());
        let written =
            write_bytes(&mut c, "read_return_data", dest, &data[start..end]).map(|()| len_u32(end - start));
        c.data_mut().return_data = data;
        written
    });

    // Storage.
    hostio!(linker, names, "storage_load_bytes32", |mut c: Ctx<'_, B>, key: u32, dest: u32| {
        let key = read_word(&c, "storage_load_bytes32", key)?;
        let data = c.data_mut();
        let value = if let Some(slot) = data.cache.get(&key) {
            slot.value
        } else {
            let value = data.backend.sload(data.frame.address, key.into());
            data.cache.insert(key, CacheSlot { value, dirty: false });
            value
        };
        write_bytes(&mut c, "storage_load_bytes32", dest, value.as_slice())
    });
    hostio!(linker, names, "storage_cache_bytes32", |mut c: Ctx<'_, B>, key: u32, value: u32| {
        let key = read_word(&c, "storage_cache_bytes32", key)?;
        let value = read_word(&c, "storage_cache_bytes32", value)?;
        c.data_mut().cache.insert(key, CacheSlot { value, dirty: true });
        Ok(())
    });
    hostio!(linker, names, "storage_flush_cache", |mut c: Ctx<'_, B>, clear: u32| {
        let data = c.data_mut();
        let dirty: Vec<(B256, B256)> =
            data.cache.iter().filter(|(_, slot)| slot.dirty).map(|(key, slot)| (*key, slot.value)).collect();
        if !dirty.is_empty() && data.frame.is_static {
            return Err(trap("storage_flush_cache", ChainError::WriteProtection("storage write")));
        }
        for (key, value) in dirty {
            data.backend.sstore(data.frame.address, key.into(), value);
        }
        if clear == 0 {
            data.cache.values_mut().for_each(|slot| slot.dirty = false);
        } else {
            data.cache.clear();
        }
        Ok(())
    });
    hostio!(linker, names, "transient_load_bytes32", |mut c: Ctx<'_, B>, key: u32, dest: u32| {
        let key = read_word(&c, "transient_load_bytes32", key)?;
        let data = c.data_mut();
        let value = data.backend.tload(data.frame.address, key.into());
        write_bytes(&mut c, "transient_load_bytes32", dest, value.as_slice())
    });
    hostio!(linker, names, "transient_store_bytes32", |mut c: Ctx<'_, B>, key: u32, value: u32| {
        let key = read_word(&c, "transient_store_bytes32", key)?;
        let value = read_word(&c, "transient_store_bytes32", value)?;
        let data = c.data_mut();
        if data.frame.is_static {
            return Err(trap(
                "transient_store_bytes32",
                ChainError::WriteProtection("transient storage write"),
            ));
        }
        data.backend.tstore(data.frame.address, key.into(), value);
        Ok(())
    });

    // Message, transaction and block.
    hostio!(linker, names, "msg_sender", |mut c: Ctx<'_, B>, dest: u32| {
        let sender = c.data().frame.caller;
        write_bytes(&mut c, "msg_sender", dest, sender.as_slice())
    });
    hostio!(linker, names, "msg_value", |mut c: Ctx<'_, B>, dest: u32| {
        let value = c.data().frame.value.to_be_bytes::<32>();
        write_bytes(&mut c, "msg_value", dest, &value)
    });
    hostio!(linker, names, "msg_reentrant", |c: Ctx<'_, B>| u32::from(c.data().reentrant));
    hostio!(linker, names, "contract_address", |mut c: Ctx<'_, B>, dest: u32| {
        let address = c.data().frame.address;
        write_bytes(&mut c, "contract_address", dest, address.as_slice())
    });
    hostio!(linker, names, "tx_origin", |mut c: Ctx<'_, B>, dest: u32| {
        let origin = c.data().backend.tx().origin;
        write_bytes(&mut c, "tx_origin", dest, origin.as_slice())
    });
    hostio!(linker, names, "tx_gas_price", |mut c: Ctx<'_, B>, dest: u32| {
        let price = c.data().backend.tx().gas_price.to_be_bytes::<32>();
        write_bytes(&mut c, "tx_gas_price", dest, &price)
    });
    hostio!(linker, names, "tx_ink_price", |_c: Ctx<'_, B>| -> u32 {
        u32::try_from(INK_PER_GAS).unwrap_or(u32::MAX)
    });
    hostio!(linker, names, "evm_gas_left", |_c: Ctx<'_, B>| -> u64 { FIXED_GAS_LEFT });
    hostio!(linker, names, "evm_ink_left", |_c: Ctx<'_, B>| -> u64 {
        FIXED_GAS_LEFT.saturating_mul(INK_PER_GAS)
    });
    hostio!(linker, names, "pay_for_memory_grow", |_c: Ctx<'_, B>, _pages: u32| {});
    hostio!(linker, names, "block_basefee", |mut c: Ctx<'_, B>, dest: u32| {
        let basefee = c.data().backend.block().basefee.to_be_bytes::<32>();
        write_bytes(&mut c, "block_basefee", dest, &basefee)
    });
    hostio!(linker, names, "block_coinbase", |mut c: Ctx<'_, B>, dest: u32| {
        let coinbase = c.data().backend.block().coinbase;
        write_bytes(&mut c, "block_coinbase", dest, coinbase.as_slice())
    });
    hostio!(linker, names, "block_gas_limit", |c: Ctx<'_, B>| c.data().backend.block().gas_limit);
    hostio!(linker, names, "block_number", |c: Ctx<'_, B>| c.data().backend.block().l1_number);
    hostio!(linker, names, "block_timestamp", |c: Ctx<'_, B>| c.data().backend.block().timestamp);
    hostio!(linker, names, "chainid", |c: Ctx<'_, B>| c.data().backend.block().chain_id);

    // Accounts.
    hostio!(linker, names, "account_balance", |mut c: Ctx<'_, B>, address: u32, dest: u32| {
        let address = read_address(&c, "account_balance", address)?;
        let balance = c.data_mut().backend.balance(address).to_be_bytes::<32>();
        write_bytes(&mut c, "account_balance", dest, &balance)
    });
    hostio!(linker, names, "account_code", |mut c: Ctx<'_, B>,
                                            address: u32,
                                            offset: u32,
                                            size: u32,
                                            dest: u32| {
        let address = read_address(&c, "account_code", address)?;
        let code: Bytes = c.data_mut().backend.code(address);
        let start = (offset as usize).min(code.len());
        let end = start.saturating_add(size as usize).min(code.len());
        write_bytes(&mut c, "account_code", dest, &code[start..end])?;
        Ok(len_u32(end - start))
    });
    hostio!(linker, names, "account_code_size", |mut c: Ctx<'_, B>, address: u32| {
        let address = read_address(&c, "account_code_size", address)?;
        Ok(len_u32(c.data_mut().backend.code(address).len()))
    });
    hostio!(linker, names, "account_codehash", |mut c: Ctx<'_, B>, address: u32, dest: u32| {
        let address = read_address(&c, "account_codehash", address)?;
        let hash = c.data_mut().backend.code_hash(address);
        write_bytes(&mut c, "account_codehash", dest, hash.as_slice())
    });

    // Logs and hashing.
    hostio!(linker, names, "emit_log", |mut c: Ctx<'_, B>, ptr: u32, len: u32, topics: u32| {
        if c.data().frame.is_static {
            return Err(trap("emit_log", ChainError::WriteProtection("log")));
        }
        if topics > 4 || len < topics * 32 {
            return Err(trap("emit_log", format!("bad log: {topics} topics in {len} bytes")));
        }
        let bytes = read_bytes(&c, "emit_log", ptr, len)?;
        let (topic_bytes, data) = bytes.split_at(topics as usize * 32);
        let topics = topic_bytes.chunks_exact(32).map(B256::from_slice).collect();
        let data_mut = c.data_mut();
        let log = Log::new_unchecked(data_mut.frame.address, topics, Bytes::copy_from_slice(data));
        data_mut.backend.log(log);
        Ok(())
    });
    hostio!(linker, names, "native_keccak256", |mut c: Ctx<'_, B>, ptr: u32, len: u32, dest: u32| {
        let hash = keccak256(read_bytes(&c, "native_keccak256", ptr, len)?);
        write_bytes(&mut c, "native_keccak256", dest, hash.as_slice())
    });

    // Calls and creation.
    hostio!(linker, names, "call_contract", |mut c: Ctx<'_, B>,
                                             to: u32,
                                             data: u32,
                                             len: u32,
                                             value: u32,
                                             gas: u64,
                                             ret_len: u32| {
        let value = U256::from_be_bytes(read_word(&c, "call_contract", value)?.0);
        call(&mut c, "call_contract", CallKind::Call, to, data, len, value, gas, ret_len)
    });
    hostio!(
        linker,
        names,
        "delegate_call_contract",
        |mut c: Ctx<'_, B>, to: u32, data: u32, len: u32, gas: u64, ret_len: u32| {
            call(
                &mut c,
                "delegate_call_contract",
                CallKind::DelegateCall,
                to,
                data,
                len,
                U256::ZERO,
                gas,
                ret_len,
            )
        }
    );
    hostio!(
        linker,
        names,
        "static_call_contract",
        |mut c: Ctx<'_, B>, to: u32, data: u32, len: u32, gas: u64, ret_len: u32| {
            call(
                &mut c,
                "static_call_contract",
                CallKind::StaticCall,
                to,
                data,
                len,
                U256::ZERO,
                gas,
                ret_len,
            )
        }
    );
    hostio!(linker, names, "create1", |mut c: Ctx<'_, B>,
                                       code: u32,
                                       len: u32,
                                       endowment: u32,
                                       dest: u32,
                                       revert_len: u32| {
        create(&mut c, "create1", code, len, endowment, None, dest, revert_len)
    });
    hostio!(linker, names, "create2", |mut c: Ctx<'_, B>,
                                       code: u32,
                                       len: u32,
                                       endowment: u32,
                                       salt: u32,
                                       dest: u32,
                                       revert_len: u32| {
        let salt = read_word(&c, "create2", salt)?;
        create(&mut c, "create2", code, len, endowment, Some(salt), dest, revert_len)
    });

    names
}

/// `call_contract`, `delegate_call_contract` and `static_call_contract`:
/// status 0 on success, 1 on failure; the output becomes the return data.
#[allow(clippy::too_many_arguments)]
fn call<B: Backend>(
    c: &mut Ctx<'_, B>,
    hostio: &str,
    kind: CallKind,
    to: u32,
    data: u32,
    len: u32,
    value: U256,
    gas: u64,
    ret_len: u32,
) -> Result<u32, Error> {
    let target = read_address(c, hostio, to)?;
    let input = read_bytes(c, hostio, data, len)?;
    let host = c.data_mut();
    let frame = &host.frame;
    // Only who calls, whose state runs, the value and the static flag differ.
    let (caller, address, value, is_static) = match kind {
        CallKind::Call => (frame.address, target, value, frame.is_static),
        CallKind::StaticCall => (frame.address, target, U256::ZERO, true),
        CallKind::DelegateCall => (frame.caller, frame.address, frame.value, frame.is_static),
    };
    let request = CallRequest {
        kind,
        caller,
        address,
        code_address: target,
        value,
        input,
        is_static,
        gas,
        depth: frame.depth + 1,
    };
    let result = if request.is_static && request.transfers_value() {
        FrameResult::failure(ChainError::WriteProtection("value transfer"))
    } else {
        let runtime = Rc::clone(&host.runtime);
        host.backend.call(&runtime, request)
    };
    host.return_data = result.output;
    let size = host.return_data.len();
    write_u32(c, hostio, ret_len, size)?;
    Ok(u32::from(!result.success))
}

/// `create1` and `create2`: the new address, or zero with revert data.
#[allow(clippy::too_many_arguments)]
fn create<B: Backend>(
    c: &mut Ctx<'_, B>,
    hostio: &str,
    code: u32,
    len: u32,
    endowment: u32,
    salt: Option<B256>,
    dest: u32,
    revert_len: u32,
) -> Result<(), Error> {
    let init_code = read_bytes(c, hostio, code, len)?;
    let endowment = U256::from_be_bytes(read_word(c, hostio, endowment)?.0);
    let host = c.data_mut();
    if host.frame.is_static {
        return Err(trap(hostio, ChainError::WriteProtection("contract creation")));
    }
    let runtime = Rc::clone(&host.runtime);
    let creator = host.frame.address;
    let (address, return_data) = match host.backend.create(&runtime, creator, init_code, endowment, salt) {
        Ok(address) => (address, Vec::new()),
        Err(failure) => (Address::ZERO, failure.output),
    };
    host.return_data = return_data;
    let size = host.return_data.len();
    write_bytes(c, hostio, dest, address.as_slice())?;
    write_u32(c, hostio, revert_len, size)
}
