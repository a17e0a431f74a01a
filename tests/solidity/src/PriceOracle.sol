// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title PriceOracle
/// @notice Test fixture: a stand-in for the XAU price oracle. It implements
/// the assumed interface in abi/external/IPriceOracle.json (the deployed
/// oracle's ABI is not public). The owner sets the price; the oracle records
/// when (`block.timestamp`), so tests can exercise staleness checks by
/// moving the chain's clock.
contract PriceOracle is Ownable {
    /// @notice Number of decimals of `latestPrice` (always 18).
    uint8 public constant decimals = 18;

    uint256 private _price;
    uint256 private _updatedAt;

    /// @notice The owner set a new price.
    event PriceSet(uint256 price, uint256 updatedAt);

    /// @notice A price of zero is refused.
    error InvalidPrice();

    /// @param owner_ Account allowed to set the price.
    /// @param initialPrice First price, 18 decimals (> 0).
    constructor(address owner_, uint256 initialPrice) Ownable(owner_) {
        _set(initialPrice);
    }

    /// @notice The current price (18 decimals) and when it was set.
    function latestPrice() external view returns (uint256 price, uint256 updatedAt) {
        return (_price, _updatedAt);
    }

    /// @notice Sets the price, stamped with the current block time.
    function setPrice(uint256 price) external onlyOwner {
        _set(price);
    }

    function _set(uint256 price) private {
        if (price == 0) revert InvalidPrice();
        _price = price;
        _updatedAt = block.timestamp;
        emit PriceSet(price, block.timestamp);
    }
}
