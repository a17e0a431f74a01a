#!/usr/bin/env node
// Compiles the fixtures in src/ with solc-js (standard JSON) and writes one
// artifact per deployable contract: <out>/<Name>.json holding
// { abi, bytecode, deployedBytecode }, keys sorted, two-space indent,
// trailing newline. A deployable contract is the one named like its file
// directly under src/ (src/lib and src/interfaces hold libraries and
// interfaces only).
//
//   node compile.js [--out DIR] [--compare DIR]
//
// --out DIR       where to write (default: artifacts)
// --compare DIR   after writing, compare DIR against the fresh output and
//                 exit 1 with a summary when they differ
//
// Output is deterministic: no metadata hash and no CBOR trailer, fixed
// optimizer settings and EVM version, sources in sorted order.
//
// Contracts listed in PACKAGED are compiled from the Solidity source an npm
// package ships (not copied into src/), each with the solc-js release its
// exact pragma names (installed under an npm alias), and written beside the
// fixtures as <out>/<Name>.json.
'use strict';

const fs = require('fs');
const path = require('path');
const solc = require('solc');

const HERE = __dirname;
const SRC = path.join(HERE, 'src');
const EXPECTED_SOLC = require('./package.json').devDependencies.solc;

// name: the contract and the artifact's name; unit: the source under
// node_modules; solc: the package alias of the compiler; evmVersion: the
// newest that compiler knows; runs: the optimizer's runs (default 200).
const PACKAGED = [
  {
    // Arbitrum's Stylus deployer (MIT): `cargo stylus deploy` runs a
    // constructor through it at 0xcEcba2F1DC234f70Dd89F2041029807F8D03A990.
    name: 'StylusDeployer',
    unit: '@arbitrum/nitro-contracts/src/stylus/StylusDeployer.sol',
    solc: 'solc-0.8.17',
    evmVersion: 'london',
  },
  {
    // Arbitrum's Stylus cache manager (BUSL-1.1, compiled here only as a
    // test fixture): the bids `cargo stylus cache bid` places, which cache
    // programs through ArbWasmCache (0x72). Nitro's own build settings:
    // solc 0.8.17, london, 2,000 optimizer runs (nitro-contracts'
    // hardhat.config.ts and foundry.toml).
    name: 'CacheManager',
    unit: '@arbitrum/nitro-contracts/src/chain/CacheManager.sol',
    solc: 'solc-0.8.17',
    evmVersion: 'london',
    runs: 2000,
  },
];

function args() {
  const out = { out: path.join(HERE, 'artifacts'), compare: null };
  const argv = process.argv.slice(2);
  for (let n = 0; n < argv.length; n += 1) {
    if (argv[n] === '--out') out.out = path.resolve(argv[++n]);
    else if (argv[n] === '--compare') out.compare = path.resolve(argv[++n]);
    else throw new Error(`unknown argument: ${argv[n]}`);
  }
  return out;
}

function listSources(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...listSources(full));
    else if (entry.name.endsWith('.sol')) found.push(full);
  }
  return found.sort();
}

// Imports of packages resolve into this directory's node_modules.
function findImports(importPath) {
  const candidate = path.join(HERE, 'node_modules', importPath);
  if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, 'utf8') };
  return { error: `not found: ${importPath}` };
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const sorted = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key]);
    return sorted;
  }
  return value;
}

function compile() {
  const version = solc.version().split('+')[0];
  if (version !== EXPECTED_SOLC) {
    throw new Error(`solc-js ${version} installed, package.json pins ${EXPECTED_SOLC}: run npm ci`);
  }
  const sources = {};
  for (const file of listSources(SRC)) {
    const unit = path.relative(HERE, file).split(path.sep).join('/');
    sources[unit] = { content: fs.readFileSync(file, 'utf8') };
  }
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: 'cancun',
      metadata: { bytecodeHash: 'none', appendCBOR: false },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  let failed = false;
  for (const diag of output.errors || []) {
    const own = diag.sourceLocation && diag.sourceLocation.file.startsWith('src/');
    // Errors anywhere, and warnings in our own sources, fail the build.
    if (diag.severity === 'error' || own) failed = true;
    process.stderr.write(`${diag.formattedMessage || diag.message}\n`);
  }
  if (failed) throw new Error('compilation failed (errors, or warnings in src/)');

  const artifacts = {};
  for (const unit of Object.keys(sources)) {
    if (path.posix.dirname(unit) !== 'src') continue;
    const name = path.posix.basename(unit, '.sol');
    const contract = output.contracts[unit] && output.contracts[unit][name];
    if (!contract) throw new Error(`${unit} does not define contract ${name}`);
    artifacts[name] = {
      abi: contract.abi,
      bytecode: `0x${contract.evm.bytecode.object}`,
      deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
    };
  }
  return artifacts;
}

// Compiles the PACKAGED contracts; the compiler's own CBOR trailer (its
// version only, no metadata hash) stays, as solc before 0.8.18 cannot omit it.
function compilePackaged() {
  const artifacts = {};
  for (const entry of PACKAGED) {
    const compiler = require(entry.solc);
    const expected = require('./package.json').devDependencies[entry.solc].replace(/^npm:solc@/, '');
    const version = compiler.version().split('+')[0];
    if (version !== expected) {
      throw new Error(`${entry.solc} is solc-js ${version}, package.json pins ${expected}: run npm ci`);
    }
    const input = {
      language: 'Solidity',
      sources: { [entry.unit]: { content: fs.readFileSync(path.join(HERE, 'node_modules', entry.unit), 'utf8') } },
      settings: {
        optimizer: { enabled: true, runs: entry.runs || 200 },
        evmVersion: entry.evmVersion,
        metadata: { bytecodeHash: 'none' },
        outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
      },
    };
    const output = JSON.parse(compiler.compile(JSON.stringify(input), { import: findImports }));
    let failed = false;
    for (const diag of output.errors || []) {
      if (diag.severity === 'error') failed = true;
      process.stderr.write(`${diag.formattedMessage || diag.message}\n`);
    }
    const contract = output.contracts && output.contracts[entry.unit] && output.contracts[entry.unit][entry.name];
    if (failed || !contract) throw new Error(`compilation of ${entry.unit} failed`);
    artifacts[entry.name] = {
      abi: contract.abi,
      bytecode: `0x${contract.evm.bytecode.object}`,
      deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
    };
  }
  return artifacts;
}

function write(dir, artifacts) {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, artifact] of Object.entries(artifacts)) {
    fs.writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify(sortKeys(artifact), null, 2)}\n`);
  }
}

// Returns a list of human-readable differences between two artifact dirs.
function compare(committedDir, freshDir) {
  const problems = [];
  const names = (d) => (fs.existsSync(d) ? fs.readdirSync(d).filter((f) => f.endsWith('.json')).sort() : []);
  const committed = names(committedDir);
  const fresh = names(freshDir);
  for (const file of fresh) {
    if (!committed.includes(file)) {
      problems.push(`${file}: missing from the committed artifacts`);
      continue;
    }
    const a = fs.readFileSync(path.join(committedDir, file), 'utf8');
    const b = fs.readFileSync(path.join(freshDir, file), 'utf8');
    if (a === b) continue;
    let detail = 'formatting differs';
    try {
      const ja = JSON.parse(a);
      const jb = JSON.parse(b);
      const keys = [...new Set([...Object.keys(ja), ...Object.keys(jb)])].sort();
      const changed = keys.filter((k) => JSON.stringify(ja[k]) !== JSON.stringify(jb[k]));
      if (changed.length > 0) detail = `differs in ${changed.join(', ')}`;
      const before = new Set((ja.abi || []).map((e) => `${e.type} ${e.name || ''}`));
      const after = new Set((jb.abi || []).map((e) => `${e.type} ${e.name || ''}`));
      const added = [...after].filter((e) => !before.has(e));
      const removed = [...before].filter((e) => !after.has(e));
      if (added.length) detail += `; ABI adds: ${added.join(', ')}`;
      if (removed.length) detail += `; ABI drops: ${removed.join(', ')}`;
    } catch (e) {
      detail = `committed file is not valid JSON (${e.message})`;
    }
    problems.push(`${file}: ${detail}`);
  }
  for (const file of committed) {
    if (!fresh.includes(file)) problems.push(`${file}: stale (no source produces it)`);
  }
  return problems;
}

function main() {
  const opts = args();
  const artifacts = { ...compile(), ...compilePackaged() };
  write(opts.out, artifacts);
  if (opts.compare) {
    const problems = compare(opts.compare, opts.out);
    if (problems.length > 0) {
      for (const p of problems) process.stderr.write(`  ${p}\n`);
      process.stderr.write(`${problems.length} artifact(s) differ from the sources\n`);
      process.exit(1);
    }
    process.stdout.write(`${Object.keys(artifacts).length} artifacts match the sources\n`);
    return;
  }
  process.stdout.write(`wrote ${Object.keys(artifacts).length} artifacts to ${path.relative(process.cwd(), opts.out) || '.'}\n`);
}

main();
