// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

/// @title UsdtStyleToken
/// @notice Test fixture only: an ERC-20 that answers as Tether's USDT does
/// on Ethereum mainnet. `transfer`, `transferFrom` and `approve` return
/// nothing; `approve` reverts (with no data, as USDT's bare `require`) when
/// both the current allowance and the new one are nonzero, so a spender's
/// allowance must be set to 0 before it is changed; an allowance of
/// `type(uint256).max` is never spent down. `mint` is open to anyone. Never
/// deploy it as a real token.
contract UsdtStyleToken {
    /// @notice Decimals reported by `decimals()`.
    uint8 public immutable decimals;
    /// @notice Total supply.
    uint256 public totalSupply;
    /// @notice Balances.
    mapping(address account => uint256) public balanceOf;
    /// @notice Allowances.
    mapping(address owner => mapping(address spender => uint256)) public allowance;

    /// @notice ERC-20 transfer event.
    event Transfer(address indexed from, address indexed to, uint256 value);
    /// @notice ERC-20 approval event.
    event Approval(address indexed owner, address indexed spender, uint256 value);

    /// @notice A balance or an allowance is too small.
    error Insufficient();

    /// @param decimals_ Decimals reported by `decimals()`.
    /// @param holder Receives `supply`.
    /// @param supply Amount minted at deployment, in base units.
    constructor(uint8 decimals_, address holder, uint256 supply) {
        decimals = decimals_;
        _mint(holder, supply);
    }

    /// @notice Mints `amount` to `to`. Unrestricted: this is a test token.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice USDT's approve: refuses a change from nonzero to nonzero.
    function approve(address spender, uint256 amount) external {
        if (amount != 0 && allowance[msg.sender][spender] != 0) revert();
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
    }

    /// @notice USDT's transfer: returns nothing.
    function transfer(address to, uint256 amount) external {
        _move(msg.sender, to, amount);
    }

    /// @notice USDT's transferFrom: returns nothing; a maximal allowance is
    /// not spent down.
    function transferFrom(address from, address to, uint256 amount) external {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed < amount) revert Insufficient();
        if (allowed != type(uint256).max) allowance[from][msg.sender] = allowed - amount;
        _move(from, to, amount);
    }

    function _mint(address to, uint256 amount) private {
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    function _move(address from, address to, uint256 amount) private {
        if (balanceOf[from] < amount) revert Insufficient();
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }
}
