// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

/// @title ReentrantToken
/// @notice Test fixture only: a token whose `balanceOf` static-calls back
/// into a chosen contract before answering. It answers 1 when that inner
/// call succeeded and 0 when it failed, so a test sees whether a Stylus
/// program refused to be re-entered.
contract ReentrantToken {
    /// @notice Who `balanceOf` calls back.
    address public callbackTarget;
    /// @notice What it sends.
    bytes public callbackData;

    /// @notice Sets the call `balanceOf` makes.
    function setCallback(address target, bytes calldata data) external {
        callbackTarget = target;
        callbackData = data;
    }

    /// @notice 1 when the callback succeeded, 0 when it failed.
    function balanceOf(address) external view returns (uint256) {
        (bool ok,) = callbackTarget.staticcall(callbackData);
        return ok ? 1 : 0;
    }
}
