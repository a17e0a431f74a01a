// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

/// @title IDODOCallee
/// @notice The flash-loan callbacks DODO V2 pools make on the borrower when
/// `flashLoan` is called with non-empty data: DSP and GSP pools call
/// `DSPFlashLoanCall`, DVM pools `DVMFlashLoanCall`, DPP pools
/// `DPPFlashLoanCall`. `sender` is the account that called `flashLoan`.
interface IDODOCallee {
    function DSPFlashLoanCall(address sender, uint256 baseAmount, uint256 quoteAmount, bytes calldata data)
        external;

    function DVMFlashLoanCall(address sender, uint256 baseAmount, uint256 quoteAmount, bytes calldata data)
        external;

    function DPPFlashLoanCall(address sender, uint256 baseAmount, uint256 quoteAmount, bytes calldata data)
        external;
}
