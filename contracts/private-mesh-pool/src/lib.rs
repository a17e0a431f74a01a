//! PrivateMeshPool: N XAU-anchored private PMM pools in one registry, with triangulated swaps for the Stabilizer.
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
