// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

/// @title MeshQuirkyToken
/// @notice Test fixture only: an ERC-20 whose `transfer` and `transferFrom`
/// answer as a chosen kind of token does, to test how the PrivateMeshPool
/// reads their results. `mint` is open to anyone. Never deploy it as a real
/// token.
///
/// Modes (`setMode`): 0 moves the tokens and returns `true` (OpenZeppelin);
/// 1 moves them and returns nothing (USDT-style); 2 moves nothing and
/// returns `false`; 3 reverts.
contract MeshQuirkyToken {
    /// @notice Decimals reported by `decimals()`.
    uint8 public immutable decimals;
    /// @notice How `transfer` and `transferFrom` answer (see the contract notes).
    uint8 public mode;
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

    /// @notice Mode 3 refuses every transfer.
    error TransfersDisabled();
    /// @notice A balance or an allowance is too small.
    error Insufficient();

    /// @param decimals_ Decimals reported by `decimals()`.
    constructor(uint8 decimals_) {
        decimals = decimals_;
    }

    /// @notice Sets how transfers answer.
    function setMode(uint8 mode_) external {
        mode = mode_;
    }

    /// @notice Mints `amount` to `to`. Unrestricted: this is a test token.
    function mint(address to, uint256 amount) external {
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    /// @notice ERC-20 approve.
    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    /// @notice ERC-20 transfer, answering as `mode` says.
    function transfer(address to, uint256 amount) external {
        _answer(msg.sender, to, amount);
    }

    /// @notice ERC-20 transferFrom, answering as `mode` says.
    function transferFrom(address from, address to, uint256 amount) external {
        if (mode < 2) {
            uint256 allowed = allowance[from][msg.sender];
            if (allowed < amount) revert Insufficient();
            allowance[from][msg.sender] = allowed - amount;
        }
        _answer(from, to, amount);
    }

    function _answer(address from, address to, uint256 amount) private {
        uint8 m = mode;
        if (m == 3) revert TransfersDisabled();
        if (m == 2) {
            assembly {
                mstore(0, 0)
                return(0, 32)
            }
        }
        if (balanceOf[from] < amount) revert Insufficient();
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
        if (m == 0) {
            assembly {
                mstore(0, 1)
                return(0, 32)
            }
        }
    }
}
