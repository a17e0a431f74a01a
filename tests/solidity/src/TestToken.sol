// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title TestToken
/// @notice Test fixture only: an OpenZeppelin ERC-20 with a chosen number of
/// decimals and a `mint` that ANYONE may call. Never deploy it as a real
/// token.
contract TestToken is ERC20 {
    uint8 private immutable _decimals;

    /// @param name_ Token name.
    /// @param symbol_ Token symbol.
    /// @param decimals_ Decimals reported by `decimals()`.
    /// @param initialHolder Receives `initialSupply` (ignored when the supply is 0).
    /// @param initialSupply Amount minted at deployment, in base units.
    constructor(
        string memory name_,
        string memory symbol_,
        uint8 decimals_,
        address initialHolder,
        uint256 initialSupply
    ) ERC20(name_, symbol_) {
        _decimals = decimals_;
        if (initialSupply > 0) _mint(initialHolder, initialSupply);
    }

    /// @inheritdoc ERC20
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @notice Mints `amount` to `to`. Unrestricted: this is a test token.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
