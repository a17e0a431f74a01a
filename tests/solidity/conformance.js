#!/usr/bin/env node
// Checks that the DODO-compatible fixtures speak DODO's ABI.
//
// 1. Every function in conformance.json ("functions": the ones the project
//    calls on DODO pools) must exist exactly once in both the artifact and
//    DODO's official DSP ABI, with the same name, input types, output types
//    (tuples expanded) and state mutability, hence the same selector.
// 2. Every other function of the artifact whose name DODO's DSP ABI (or,
//    failing that, GSP's) also has must match it the same way; functions
//    DODO does not have are listed as fixture-only.
// 3. Each stand-in named in "assumed" must implement every function of its
//    assumed interface JSON under abi/external/ the same way, so swapping in
//    a real ABI there shows at once what the stand-in must change.
// 4. Each fixture named in "pools" is checked against its own DODO ABI file
//    (the DODO-exact pools: DodoDspPool against DSP.json, DodoDppPool
//    against DPPAdvanced.json): every function whose name the file has must
//    match it as in 1; with "complete", every function of the file must be
//    in the fixture.
//
//   node conformance.js [--artifact PATH]   (paths relative to the repo root)
'use strict';

const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const config = JSON.parse(fs.readFileSync(path.join(__dirname, 'conformance.json'), 'utf8'));

function load(relative) {
  const abs = path.isAbsolute(relative) ? relative : path.join(ROOT, relative);
  const json = JSON.parse(fs.readFileSync(abs, 'utf8'));
  return Array.isArray(json) ? json : json.abi;
}

// Canonical ABI type of a parameter: tuples spelled out, arrays kept.
function canonical(param) {
  if (param.type.startsWith('tuple')) {
    return `(${param.components.map(canonical).join(',')})${param.type.slice('tuple'.length)}`;
  }
  return param.type;
}

function shape(fn) {
  return {
    inputs: fn.inputs.map(canonical).join(','),
    outputs: (fn.outputs || []).map(canonical).join(','),
    mutability: fn.stateMutability,
  };
}

function functions(abi, name) {
  return abi.filter((e) => e.type === 'function' && e.name === name);
}

function compare(name, ours, theirs, label) {
  const problems = [];
  if (ours.length !== 1) problems.push(`${name}: ${ours.length} definitions in the fixture`);
  if (theirs.length !== 1) problems.push(`${name}: ${theirs.length} definitions in ${label}`);
  if (problems.length) return problems;
  const a = shape(ours[0]);
  const b = shape(theirs[0]);
  for (const key of ['inputs', 'outputs', 'mutability']) {
    if (a[key] !== b[key]) problems.push(`${name}: ${key} (${a[key]}) differ from ${label} (${b[key]})`);
  }
  return problems;
}

function main() {
  const argv = process.argv.slice(2);
  const artifactPath = argv[0] === '--artifact' ? argv[1] : config.artifact;
  const ours = load(artifactPath);
  const dsp = load(config.reference);
  const gsp = load('abi/external/dodo/GSP.json');
  const problems = [];

  for (const name of config.functions) {
    problems.push(...compare(name, functions(ours, name), functions(dsp, name), 'DSP.json'));
  }
  const extra = [];
  let alsoChecked = 0;
  const ourNames = [...new Set(ours.filter((e) => e.type === 'function').map((e) => e.name))].sort();
  for (const name of ourNames) {
    if (config.functions.includes(name)) continue;
    if (functions(dsp, name).length > 0) {
      problems.push(...compare(name, functions(ours, name), functions(dsp, name), 'DSP.json'));
      alsoChecked += 1;
    } else if (functions(gsp, name).length > 0) {
      problems.push(...compare(name, functions(ours, name), functions(gsp, name), 'GSP.json'));
      alsoChecked += 1;
    } else {
      extra.push(name);
    }
  }

  let assumedChecked = 0;
  for (const [contract, iface] of Object.entries(config.assumed || {})) {
    const standIn = load(path.join('tests/solidity/artifacts', `${contract}.json`));
    for (const fn of load(iface).filter((e) => e.type === 'function')) {
      const reference = functions(load(iface), fn.name);
      problems.push(...compare(`${contract}.${fn.name}`, functions(standIn, fn.name), reference, iface));
      assumedChecked += 1;
    }
  }

  const poolLines = [];
  for (const [contract, spec] of Object.entries(config.pools || {})) {
    const fixture = load(path.join('tests/solidity/artifacts', `${contract}.json`));
    const reference = load(spec.reference);
    const label = path.basename(spec.reference);
    const names = (abi) => [...new Set(abi.filter((e) => e.type === 'function').map((e) => e.name))].sort();
    let matched = 0;
    const only = [];
    for (const name of names(fixture)) {
      if (functions(reference, name).length > 0) {
        problems.push(...compare(`${contract}.${name}`, functions(fixture, name), functions(reference, name), label));
        matched += 1;
      } else {
        only.push(name);
      }
    }
    if (spec.complete) {
      for (const name of names(reference)) {
        if (functions(fixture, name).length === 0) problems.push(`${contract}.${name}: missing (${label} has it)`);
      }
    }
    poolLines.push(
      `${contract}: ${matched} functions match ${label}${spec.complete ? ' (all of its functions)' : ''}; ` +
        `fixture-only: ${only.join(', ') || 'none'}`,
    );
  }

  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`  ${p}\n`);
    process.stderr.write(`conformance: ${problems.length} difference(s) from the reference ABIs\n`);
    process.exit(1);
  }
  process.stdout.write(
    `conformance: ${config.functions.length} called functions and ${alsoChecked} more match DODO's ABI; ` +
      `fixture-only: ${extra.join(', ')}; ${assumedChecked} functions of the assumed interfaces implemented\n`,
  );
  for (const line of poolLines) process.stdout.write(`conformance: ${line}\n`);
}

main();
