// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

/// @title CallProbe
/// @notice Test fixture only: makes calls on request and reports what it saw,
/// so the in-process chain's tests can cross between the EVM and Stylus in
/// every direction and measure gas and block data from the EVM side.
contract CallProbe {
    /// @notice Emitted by `writeThenForward` before its call.
    event Wrote(bytes32 indexed key, bytes32 value);

    /// @notice `writeThenForward` was asked to fail after its call.
    error FailedAfterCall(bool callSucceeded);

    /// @notice The data `writeThenForward` stored, by key.
    mapping(bytes32 => bytes32) public stored;

    /// @notice Calls `target` with `data` and all the value sent.
    function forward(address target, bytes calldata data) external payable returns (bool ok, bytes memory ret) {
        (ok, ret) = target.call{value: msg.value}(data);
    }

    /// @notice Static-calls `target` with `data`.
    function forwardStatic(address target, bytes calldata data) external view returns (bool ok, bytes memory ret) {
        (ok, ret) = target.staticcall(data);
    }

    /// @notice Delegate-calls `target` with `data`.
    function forwardDelegate(address target, bytes calldata data) external returns (bool ok, bytes memory ret) {
        (ok, ret) = target.delegatecall(data);
    }

    /// @notice Calls `target` offering `gasLimit` gas; reports `gasleft()`
    /// just before and just after the call.
    function forwardWithGas(address target, bytes calldata data, uint256 gasLimit)
        external
        returns (bool ok, bytes memory ret, uint256 gasBefore, uint256 gasAfter)
    {
        gasBefore = gasleft();
        (ok, ret) = target.call{gas: gasLimit}(data);
        gasAfter = gasleft();
    }

    /// @notice Stores and logs `value` under `key`, calls `target`, then
    /// reverts with `FailedAfterCall` when `failAfter` is set.
    function writeThenForward(bytes32 key, bytes32 value, address target, bytes calldata data, bool failAfter)
        external
        returns (bool ok, bytes memory ret)
    {
        stored[key] = value;
        emit Wrote(key, value);
        (ok, ret) = target.call(data);
        if (failAfter) revert FailedAfterCall(ok);
    }

    /// @notice `block.number` (the L1 estimate on Arbitrum), ArbSys's L2
    /// block number, `block.timestamp` and `block.chainid`.
    function clock() external view returns (uint256 l1Block, uint256 l2Block, uint256 timestamp, uint256 chainId) {
        l1Block = block.number;
        l2Block = IArbSys(address(0x64)).arbBlockNumber();
        timestamp = block.timestamp;
        chainId = IArbSys(address(0x64)).arbChainID();
    }

    /// @notice Bounces through a Stylus forwarding program `depth` times:
    /// this contract → `proxy` → this contract → ... and returns the number
    /// of round trips that completed.
    /// @dev The proxy's calldata is mode 0 (call) ‖ target ‖ inner calldata;
    /// it returns a status word followed by the callee's return data.
    function bounce(address proxy, uint256 depth) external returns (uint256 completed) {
        if (depth == 0) return 0;
        bytes memory inner = abi.encodeCall(this.bounce, (proxy, depth - 1));
        (bool ok, bytes memory ret) = proxy.call(abi.encodePacked(uint8(0), address(this), inner));
        if (!ok || ret.length < 64 || uint256(bytes32(ret)) != 0) return 0;
        uint256 below;
        assembly {
            below := mload(add(ret, 64))
        }
        return below + 1;
    }
}

/// @notice The part of Arbitrum's ArbSys precompile the probe reads.
interface IArbSys {
    /// @notice The L2 block number.
    function arbBlockNumber() external view returns (uint256);
    /// @notice The chain id.
    function arbChainID() external view returns (uint256);
}
