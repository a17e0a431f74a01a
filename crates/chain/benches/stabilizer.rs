//! Gas of the Stabilizer's calls on the in-process chain (filled in with the contract).

fn main() {}
