// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

import {PegManagerStandIn} from "./lib/PegManagerStandIn.sol";

/// @title StablecoinPegManager
/// @notice Test fixture: stand-in for the deployed StablecoinPegManager,
/// implementing the ASSUMED interface abi/external/IStablecoinPegManager.json
/// (the real ABI is not public). Deviations are set by the owner.
contract StablecoinPegManager is PegManagerStandIn {
    /// @param owner_ Account allowed to set deviations and the band.
    /// @param pegBandBps_ Largest |deviation| in bps that still counts as pegged.
    constructor(address owner_, uint256 pegBandBps_) PegManagerStandIn(owner_, pegBandBps_) {}
}
