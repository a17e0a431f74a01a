// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title PegManagerStandIn
/// @notice Test fixture base: an owner-settable peg manager that answers the
/// assumed peg-manager interface (abi/external/IStablecoinPegManager.json,
/// abi/external/ICommodityPegManager.json): a signed deviation in basis
/// points per asset, and whether the asset counts as pegged, which is
/// `|deviation| <= pegBandBps`.
abstract contract PegManagerStandIn is Ownable {
    mapping(address asset => int256 deviationBps) private _deviationBps;
    uint256 private _pegBandBps;

    /// @notice The owner set an asset's deviation.
    event DeviationSet(address indexed asset, int256 deviationBps);
    /// @notice The owner set the peg band.
    event PegBandSet(uint256 pegBandBps);

    /// @param owner_ Account allowed to set deviations and the band.
    /// @param pegBandBps_ Largest |deviation| that still counts as pegged.
    constructor(address owner_, uint256 pegBandBps_) Ownable(owner_) {
        _setBand(pegBandBps_);
    }

    /// @notice Signed deviation of `asset` from its peg, in basis points
    /// (positive: above the peg).
    function getDeviationBps(address asset) external view returns (int256) {
        return _deviationBps[asset];
    }

    /// @notice Whether `asset` is within the peg band.
    function isPegged(address asset) external view returns (bool) {
        int256 d = _deviationBps[asset];
        uint256 magnitude = d < 0 ? uint256(-(d + 1)) + 1 : uint256(d);
        return magnitude <= _pegBandBps;
    }

    /// @notice The band, in basis points, inside which an asset is pegged.
    function pegBandBps() external view returns (uint256) {
        return _pegBandBps;
    }

    /// @notice Sets the deviation reported for `asset`.
    function setDeviationBps(address asset, int256 deviationBps) external onlyOwner {
        _deviationBps[asset] = deviationBps;
        emit DeviationSet(asset, deviationBps);
    }

    /// @notice Sets the peg band.
    function setPegBandBps(uint256 pegBandBps_) external onlyOwner {
        _setBand(pegBandBps_);
    }

    function _setBand(uint256 pegBandBps_) private {
        _pegBandBps = pegBandBps_;
        emit PegBandSet(pegBandBps_);
    }
}
