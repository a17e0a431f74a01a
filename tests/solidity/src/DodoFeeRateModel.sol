// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

/// @title DodoFeeRateModel
/// @notice Stand-in for a DODO V2 maintainer fee model: `getFeeRate(trader)`
/// returns the rate the pool charges that trader (DODO's pools ask with
/// `tx.origin`). A default rate for everyone, and per-trader rates the owner
/// sets. Test fixture only.
contract DodoFeeRateModel {
    address public immutable owner;
    uint256 public defaultRate;
    mapping(address => uint256) internal _rate;
    mapping(address => bool) internal _hasRate;

    constructor(address owner_, uint256 defaultRate_) {
        owner = owner_;
        defaultRate = defaultRate_;
    }

    /// @notice The maintainer fee rate (1e18 = 100%) for `trader`.
    function getFeeRate(address trader) external view returns (uint256) {
        return _hasRate[trader] ? _rate[trader] : defaultRate;
    }

    /// @notice Owner: the rate for every trader without one of their own.
    function setDefaultRate(uint256 rate) external {
        require(msg.sender == owner, "NOT_OWNER");
        defaultRate = rate;
    }

    /// @notice Owner: `trader`'s own rate.
    function setTraderRate(address trader, uint256 rate) external {
        require(msg.sender == owner, "NOT_OWNER");
        _rate[trader] = rate;
        _hasRate[trader] = true;
    }
}
