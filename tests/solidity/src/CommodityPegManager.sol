// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

import {PegManagerStandIn} from "./lib/PegManagerStandIn.sol";

/// @title CommodityPegManager
/// @notice Test fixture: stand-in for the deployed CommodityPegManager
/// (XAU-anchored assets), implementing the ASSUMED interface
/// abi/external/ICommodityPegManager.json (the real ABI is not public).
/// Deviations are set by the owner.
contract CommodityPegManager is PegManagerStandIn {
    /// @param owner_ Account allowed to set deviations and the band.
    /// @param pegBandBps_ Largest |deviation| in bps that still counts as pegged.
    constructor(address owner_, uint256 pegBandBps_) PegManagerStandIn(owner_, pegBandBps_) {}
}
