//! FlashContainment: per-pool L2-block observations, TWAP deviation, N-block sustain rule and the per-block stabilization cap.
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
