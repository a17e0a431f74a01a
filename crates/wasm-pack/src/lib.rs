//! Turns a contract's raw rustc wasm into the bytes a Stylus chain stores,
//! the way `cargo stylus` 0.10.10 does, and checks the activation rules.
//!
//! The steps, in cargo-stylus's order:
//! 1. print the module as text and parse it back, which drops dangling
//!    reference-type mentions;
//! 2. strip every custom and unknown section;
//! 3. append a `project_hash` custom section; cargo-stylus hashes the
//!    sources, so the compressed size moves by tens of bytes with the hash.
//!    [`deployed_size_bounds`] packs with several fixed stand-in hashes and
//!    the size check judges the largest;
//! 4. brotli-compress at quality 11, window 22;
//! 5. prefix the result with `0xEFF00000` (Stylus marker, no dictionary).
//!
//! The size check, the ABI pipeline and the in-process chain all use these
//! functions, so what is measured is what is deployed.

use std::{fmt, io::Read};

use wasmparser::{Parser, Payload, TypeRef, Validator, WasmFeatures};

/// The largest deployable code: prefix plus compressed wasm (Nitro's
/// `MaxCodeSize`, 24 KiB).
pub const MAX_CODE_SIZE: usize = 24_576;
/// The project's own goal for each contract's deployed code.
pub const GOAL_CODE_SIZE: usize = 16_384;
/// The largest uncompressed wasm Nitro activates (128 KiB).
pub const MAX_WASM_SIZE: usize = 128 * 1024;
/// The most memory pages a program may declare.
pub const MAX_PAGES: u64 = 128;
/// The marker that starts Stylus code in an account: `EFF000` and a zero
/// dictionary byte.
pub const STYLUS_PREFIX: [u8; 4] = [0xEF, 0xF0, 0x00, 0x00];
/// The custom section cargo-stylus appends.
pub const PROJECT_HASH_SECTION: &str = "project_hash";
/// How many stand-in project hashes [`deployed_size_bounds`] tries.
pub const STAND_IN_HASHES: u64 = 16;

/// Stand-in number `index` for the source hash cargo-stylus embeds: 32
/// pseudo-random bytes (splitmix64), which compress like a real hash.
pub fn stand_in_project_hash(index: u64) -> [u8; 32] {
    let mut state = index.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut hash = [0u8; 32];
    for chunk in hash.chunks_mut(8) {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    hash
}

/// The smallest and largest deployed code size over [`STAND_IN_HASHES`]
/// stand-in project hashes (a real hash lands in about the same range).
///
/// # Errors
/// As [`pack`].
pub fn deployed_size_bounds(raw: &[u8]) -> Result<(usize, usize), PackError> {
    let mut bounds = (usize::MAX, 0);
    for index in 0..STAND_IN_HASHES {
        let len = pack_with_project_hash(raw, stand_in_project_hash(index))?.code_len();
        bounds = (bounds.0.min(len), bounds.1.max(len));
    }
    Ok(bounds)
}

/// Brotli quality cargo-stylus uses.
pub const BROTLI_QUALITY: u32 = 11;

/// Why a wasm cannot be processed or would not activate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackError {
    /// The module does not parse or print.
    Malformed(String),
    /// The module uses a feature Stylus refuses (floats, SIMD, threads, reference types…).
    Unsupported(String),
    /// An import does not come from `vm_hooks`.
    ForeignImport(String),
    /// The module declares a start function.
    StartFunction,
    /// A required export is missing.
    MissingExport(&'static str),
    /// The module asks for more than [`MAX_PAGES`] memory pages.
    TooManyPages(u64),
    /// The processed wasm is larger than [`MAX_WASM_SIZE`].
    TooLarge(usize),
}

impl fmt::Display for PackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(why) => write!(f, "malformed wasm: {why}"),
            Self::Unsupported(why) => write!(f, "unsupported wasm feature: {why}"),
            Self::ForeignImport(name) => write!(f, "import outside vm_hooks: {name}"),
            Self::StartFunction => write!(f, "start function is not allowed"),
            Self::MissingExport(name) => write!(f, "missing export `{name}`"),
            Self::TooManyPages(pages) => write!(f, "{pages} memory pages > {MAX_PAGES}"),
            Self::TooLarge(len) => write!(f, "{len} bytes of wasm > {MAX_WASM_SIZE}"),
        }
    }
}

impl std::error::Error for PackError {}

/// A contract ready to deploy, with its sizes at each step.
#[derive(Debug, Clone)]
pub struct PackedContract {
    /// Bytes of the raw rustc output.
    pub raw_len: usize,
    /// The processed, uncompressed wasm (what the chain decompresses).
    pub wasm: Vec<u8>,
    /// `STYLUS_PREFIX ‖ brotli(wasm)`: the account code.
    pub code: Vec<u8>,
}

impl PackedContract {
    /// Bytes of deployed code, prefix included: the figure the limit applies to.
    pub fn code_len(&self) -> usize {
        self.code.len()
    }

    /// Whether the code fits [`MAX_CODE_SIZE`].
    pub fn fits(&self) -> bool {
        self.code_len() <= MAX_CODE_SIZE
    }
}

/// Processes, validates and compresses a raw contract wasm.
///
/// # Errors
/// Any [`PackError`]: the module would not activate on a Stylus chain.
pub fn pack(raw: &[u8]) -> Result<PackedContract, PackError> {
    pack_with_project_hash(raw, stand_in_project_hash(0))
}

/// [`pack`] with the project hash cargo-stylus computed, to reproduce its
/// output byte for byte.
///
/// # Errors
/// As [`pack`].
pub fn pack_with_project_hash(raw: &[u8], project_hash: [u8; 32]) -> Result<PackedContract, PackError> {
    let wasm = process(raw, project_hash)?;
    validate(&wasm)?;
    let code = encode_code(&compress(&wasm)?);
    Ok(PackedContract { raw_len: raw.len(), wasm, code })
}

/// Steps 1–3: text round trip, strip custom sections, add the project hash.
///
/// # Errors
/// [`PackError::Malformed`] when the module does not parse.
pub fn process(raw: &[u8], project_hash: [u8; 32]) -> Result<Vec<u8>, PackError> {
    let text = wasmprinter::print_bytes(raw).map_err(|e| PackError::Malformed(e.to_string()))?;
    let round_tripped = wat::parse_str(&text).map_err(|e| PackError::Malformed(e.to_string()))?;
    let mut wasm = strip_custom_sections(&round_tripped)?;
    append_custom_section(&mut wasm, PROJECT_HASH_SECTION, &project_hash);
    Ok(wasm)
}

/// Step 4: brotli at quality 11.
///
/// # Errors
/// [`PackError::Malformed`] if the encoder fails (it does not on valid input).
pub fn compress(wasm: &[u8]) -> Result<Vec<u8>, PackError> {
    let mut compressed = Vec::new();
    brotli2::read::BrotliEncoder::new(wasm, BROTLI_QUALITY)
        .read_to_end(&mut compressed)
        .map_err(|e| PackError::Malformed(e.to_string()))?;
    Ok(compressed)
}

/// Step 5: the account code for compressed wasm.
pub fn encode_code(compressed: &[u8]) -> Vec<u8> {
    let mut code = Vec::with_capacity(STYLUS_PREFIX.len() + compressed.len());
    code.extend_from_slice(&STYLUS_PREFIX);
    code.extend_from_slice(compressed);
    code
}

/// Whether account code is Stylus code.
pub fn is_stylus_code(code: &[u8]) -> bool {
    code.starts_with(&STYLUS_PREFIX)
}

/// The processed wasm inside Stylus account code.
///
/// # Errors
/// [`PackError::Malformed`] when the code lacks the prefix or does not
/// decompress.
pub fn decode_code(code: &[u8]) -> Result<Vec<u8>, PackError> {
    let compressed = code
        .strip_prefix(&STYLUS_PREFIX[..])
        .ok_or_else(|| PackError::Malformed("missing Stylus prefix".into()))?;
    let mut wasm = Vec::new();
    brotli2::read::BrotliDecoder::new(compressed)
        .take(MAX_WASM_SIZE as u64 + 1)
        .read_to_end(&mut wasm)
        .map_err(|e| PackError::Malformed(e.to_string()))?;
    if wasm.len() > MAX_WASM_SIZE {
        return Err(PackError::TooLarge(wasm.len()));
    }
    Ok(wasm)
}

/// The wasm features Nitro accepts in a user program: no floats, SIMD,
/// threads, reference types, tail calls or multiple memories.
fn stylus_features() -> WasmFeatures {
    WasmFeatures::MUTABLE_GLOBAL
        | WasmFeatures::SATURATING_FLOAT_TO_INT
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::MULTI_VALUE
        | WasmFeatures::BULK_MEMORY
}

/// Checks the activation rules on a processed wasm.
///
/// # Errors
/// The first rule the module breaks.
pub fn validate(wasm: &[u8]) -> Result<(), PackError> {
    validate_imports_from(wasm, &["vm_hooks"])
}

/// [`validate`] on a debug chain, which also lets a program import the
/// `console` module (the SDK's `console!` logging).
///
/// # Errors
/// The first rule the module breaks.
pub fn validate_debug(wasm: &[u8]) -> Result<(), PackError> {
    validate_imports_from(wasm, &["vm_hooks", "console"])
}

fn validate_imports_from(wasm: &[u8], modules: &[&str]) -> Result<(), PackError> {
    if wasm.len() > MAX_WASM_SIZE {
        return Err(PackError::TooLarge(wasm.len()));
    }
    Validator::new_with_features(stylus_features())
        .validate_all(wasm)
        .map_err(|e| PackError::Unsupported(e.to_string()))?;
    let (mut has_entrypoint, mut has_memory) = (false, false);
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| PackError::Malformed(e.to_string()))? {
            Payload::ImportSection(imports) => {
                for import in imports {
                    let import = import.map_err(|e| PackError::Malformed(e.to_string()))?;
                    if !modules.contains(&import.module) || !matches!(import.ty, TypeRef::Func(_)) {
                        return Err(PackError::ForeignImport(format!("{}::{}", import.module, import.name)));
                    }
                }
            }
            Payload::MemorySection(memories) => {
                for memory in memories {
                    let memory = memory.map_err(|e| PackError::Malformed(e.to_string()))?;
                    if memory.initial > MAX_PAGES || memory.maximum.is_some_and(|m| m > MAX_PAGES) {
                        return Err(PackError::TooManyPages(memory.initial));
                    }
                }
            }
            Payload::StartSection { .. } => return Err(PackError::StartFunction),
            Payload::ExportSection(exports) => {
                for export in exports {
                    let export = export.map_err(|e| PackError::Malformed(e.to_string()))?;
                    match (export.name, export.kind) {
                        ("user_entrypoint", wasmparser::ExternalKind::Func) => has_entrypoint = true,
                        ("memory", wasmparser::ExternalKind::Memory) => has_memory = true,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if !has_entrypoint {
        return Err(PackError::MissingExport("user_entrypoint"));
    }
    if !has_memory {
        return Err(PackError::MissingExport("memory"));
    }
    Ok(())
}

fn strip_custom_sections(wasm: &[u8]) -> Result<Vec<u8>, PackError> {
    let mut module = wasm_encoder::Module::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| PackError::Malformed(e.to_string()))?;
        if matches!(payload, Payload::CustomSection(_) | Payload::UnknownSection { .. }) {
            continue;
        }
        if let Some((id, range)) = payload.as_section() {
            module.section(&wasm_encoder::RawSection { id, data: &wasm[range] });
        }
    }
    Ok(module.finish())
}

fn append_custom_section(wasm: &mut Vec<u8>, name: &str, data: &[u8]) {
    let mut body = Vec::new();
    write_leb128(&mut body, name.len());
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(data);
    wasm.push(0);
    write_leb128(wasm, body.len());
    wasm.extend_from_slice(&body);
}

fn write_leb128(out: &mut Vec<u8>, mut value: usize) {
    loop {
        let byte = u8::try_from(value & 0x7f).unwrap_or_default();
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"(module
        (import "vm_hooks" "read_args" (func (param i32)))
        (memory (export "memory") 1)
        (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#;

    fn wat(text: &str) -> Vec<u8> {
        wat::parse_str(text).unwrap()
    }

    #[test]
    fn packs_and_round_trips_a_minimal_program() {
        let packed = pack(&wat(MINIMAL)).unwrap();
        assert!(is_stylus_code(&packed.code));
        assert_eq!(decode_code(&packed.code).unwrap(), packed.wasm);
        assert!(packed.fits());
    }

    #[test]
    fn strips_custom_sections_and_adds_the_project_hash() {
        let mut raw = wat(MINIMAL);
        append_custom_section(&mut raw, "producers", b"secret toolchain");
        let wasm = process(&raw, [0; 32]).unwrap();
        let names: Vec<String> = Parser::new(0)
            .parse_all(&wasm)
            .filter_map(|p| match p.unwrap() {
                Payload::CustomSection(reader) => Some(reader.name().to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(names, vec![PROJECT_HASH_SECTION.to_string()]);
    }

    #[test]
    fn refuses_what_nitro_refuses() {
        let float = MINIMAL.replace("i32.const 0", "f32.const 1 drop i32.const 0");
        assert!(matches!(validate(&process(&wat(&float), [0; 32]).unwrap()), Err(PackError::Unsupported(_))));
        let foreign = MINIMAL.replace("\"vm_hooks\"", "\"env\"");
        assert!(matches!(pack(&wat(&foreign)), Err(PackError::ForeignImport(_))));
        let pages = MINIMAL.replace("\"memory\") 1", "\"memory\") 129");
        assert_eq!(pack(&wat(&pages)).unwrap_err(), PackError::TooManyPages(129));
        let no_entry = MINIMAL.replace("(export \"user_entrypoint\")", "");
        assert_eq!(pack(&wat(&no_entry)).unwrap_err(), PackError::MissingExport("user_entrypoint"));
        let no_memory = MINIMAL.replace("(export \"memory\")", "");
        assert_eq!(pack(&wat(&no_memory)).unwrap_err(), PackError::MissingExport("memory"));
        let start = MINIMAL.replace("(memory", "(func $s) (start $s) (memory");
        assert_eq!(pack(&wat(&start)).unwrap_err(), PackError::StartFunction);
    }

    #[test]
    fn decode_refuses_non_stylus_code() {
        assert!(decode_code(&[0x60, 0x80]).is_err());
    }
}
