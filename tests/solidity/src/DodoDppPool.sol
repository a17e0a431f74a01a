// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IDODOCallee} from "./interfaces/IDODOCallee.sol";
import {DodoExactMath, IDodoFeeRateModel} from "./lib/DodoExactMath.sol";

/// @title DodoDppPool
/// @notice A pool that behaves as DODO V2's DODO Private Pool (DPP, in its
/// DPPAdvanced form) to the wei. The owner funds it by plain transfers and
/// calls `init` (once) or `reset`, which set `i`, `k` and the LP fee, pay
/// out what the owner takes back and set both targets to the balances left
/// (R back to ONE); `tuneParameters` and `tunePrice` change the parameters
/// without touching reserves or targets; `ratioSync` scales each target with
/// its balance. Trading, queries, flash loans, the TWAP and the revert
/// strings are the DSP's (`DodoDspPool`) and price through the same
/// `DodoExactMath`, as DODO's DPP and DSP share `PMMPricing`. Written
/// independently from DODO's published contracts; `vault_math::pmm::dodo`
/// is its Rust twin and `crates/chain/tests/dodo_dpp.rs` compares the two.
/// Test fixture only.
contract DodoDppPool {
    using SafeERC20 for IERC20;
    using DodoExactMath for uint256;

    event DODOSwap(
        address fromToken, address toToken, uint256 fromAmount, uint256 toAmount, address trader, address receiver
    );
    event DODOFlashLoan(address borrower, address assetTo, uint256 baseAmount, uint256 quoteAmount);
    event RChange(DodoExactMath.RState newRState);
    event LpFeeRateChange(uint256 newLpFeeRate);
    event OwnershipTransferPrepared(address indexed previousOwner, address indexed newOwner);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    address public _OWNER_;
    address public _NEW_OWNER_;
    bool internal _INITIALIZED_;
    bool internal _entered;
    bool public _IS_OPEN_TWAP_;
    address public _MAINTAINER_;
    IERC20 public _BASE_TOKEN_;
    IERC20 public _QUOTE_TOKEN_;
    uint112 public _BASE_RESERVE_;
    uint112 public _QUOTE_RESERVE_;
    uint32 public _BLOCK_TIMESTAMP_LAST_;
    uint112 public _BASE_TARGET_;
    uint112 public _QUOTE_TARGET_;
    uint32 public _RState_;
    uint256 public _BASE_PRICE_CUMULATIVE_LAST_;
    IDodoFeeRateModel public _MT_FEE_RATE_MODEL_;
    uint64 public _LP_FEE_RATE_;
    uint64 public _K_;
    uint128 public _I_;

    modifier preventReentrant() {
        require(!_entered, "REENTRANT");
        _entered = true;
        _;
        _entered = false;
    }

    modifier onlyOwner() {
        require(msg.sender == _OWNER_, "NOT_OWNER");
        _;
    }

    // ---- ownership (DODO's InitializableOwnable) ----

    /// @notice Sets the owner once; `init` calls it, so after `init` it
    /// reverts.
    function initOwner(address newOwner) public {
        require(!_INITIALIZED_, "DODO_INITIALIZED");
        _INITIALIZED_ = true;
        _OWNER_ = newOwner;
    }

    function transferOwnership(address newOwner) external onlyOwner {
        emit OwnershipTransferPrepared(_OWNER_, newOwner);
        _NEW_OWNER_ = newOwner;
    }

    function claimOwnership() external {
        require(msg.sender == _NEW_OWNER_, "INVALID_CLAIM");
        emit OwnershipTransferred(_OWNER_, _NEW_OWNER_);
        _OWNER_ = _NEW_OWNER_;
        _NEW_OWNER_ = address(0);
    }

    // ---- setup and the owner's controls ----

    /// @notice DPP's `init` (note `k` before `i`): the owner, the tokens,
    /// the fee model and the parameters; the tokens already transferred in
    /// become the reserves and the targets (R = ONE).
    function init(
        address owner,
        address maintainer,
        address baseTokenAddress,
        address quoteTokenAddress,
        uint256 lpFeeRate,
        address mtFeeRateModel,
        uint256 k,
        uint256 i,
        bool isOpenTWAP
    ) external {
        initOwner(owner);
        require(baseTokenAddress != quoteTokenAddress, "BASE_QUOTE_CAN_NOT_BE_SAME");
        _BASE_TOKEN_ = IERC20(baseTokenAddress);
        _QUOTE_TOKEN_ = IERC20(quoteTokenAddress);
        _MAINTAINER_ = maintainer;
        _MT_FEE_RATE_MODEL_ = IDodoFeeRateModel(mtFeeRateModel);
        _setParameters(lpFeeRate, i, k);
        _IS_OPEN_TWAP_ = isOpenTWAP;
        if (isOpenTWAP) _BLOCK_TIMESTAMP_LAST_ = uint32(block.timestamp % 2 ** 32);
        _resetTargetAndReserve();
    }

    /// @notice The owner's reset. The stored reserves (not counting what was
    /// transferred in since) must be at least the minimums, which guards the
    /// owner against a trade landing first; then the new parameters are set,
    /// `baseOutAmount` and `quoteOutAmount` go to `assetTo`, and the
    /// balances left become the reserves and both targets (R = ONE).
    function reset(
        address assetTo,
        uint256 newLpFeeRate,
        uint256 newI,
        uint256 newK,
        uint256 baseOutAmount,
        uint256 quoteOutAmount,
        uint256 minBaseReserve,
        uint256 minQuoteReserve
    ) external preventReentrant onlyOwner returns (bool) {
        _requireReserves(minBaseReserve, minQuoteReserve);
        _setParameters(newLpFeeRate, newI, newK);
        _transferOut(_BASE_TOKEN_, assetTo, baseOutAmount);
        _transferOut(_QUOTE_TOKEN_, assetTo, quoteOutAmount);
        _resetTargetAndReserve();
        emit LpFeeRateChange(newLpFeeRate);
        return true;
    }

    /// @notice DPPAdvanced: new parameters under the same reserve guard;
    /// reserves, targets and R stay.
    function tuneParameters(
        uint256 newLpFeeRate,
        uint256 newI,
        uint256 newK,
        uint256 minBaseReserve,
        uint256 minQuoteReserve
    ) external preventReentrant onlyOwner returns (bool) {
        _requireReserves(minBaseReserve, minQuoteReserve);
        _setParameters(newLpFeeRate, newI, newK);
        emit LpFeeRateChange(newLpFeeRate);
        return true;
    }

    /// @notice DPPAdvanced: a new `i` alone, under the same reserve guard.
    function tunePrice(uint256 newI, uint256 minBaseReserve, uint256 minQuoteReserve)
        external
        preventReentrant
        onlyOwner
        returns (bool)
    {
        _requireReserves(minBaseReserve, minQuoteReserve);
        require(newI > 0 && newI <= 1e36, "I_OUT_OF_RANGE");
        _I_ = uint128(newI);
        return true;
    }

    /// @notice Each reserve that differs from its balance becomes the
    /// balance, and its target is scaled by `balance / reserve` (floored,
    /// cut to 112 bits as DODO's cast does); R stays.
    function ratioSync() external preventReentrant onlyOwner {
        uint256 baseBalance = _BASE_TOKEN_.balanceOf(address(this));
        uint256 quoteBalance = _QUOTE_TOKEN_.balanceOf(address(this));
        require(baseBalance <= type(uint112).max && quoteBalance <= type(uint112).max, "OVERFLOW");
        if (baseBalance != _BASE_RESERVE_) {
            _BASE_TARGET_ = uint112(uint256(_BASE_TARGET_).mul(baseBalance).div(_BASE_RESERVE_));
            _BASE_RESERVE_ = uint112(baseBalance);
        }
        if (quoteBalance != _QUOTE_RESERVE_) {
            _QUOTE_TARGET_ = uint112(uint256(_QUOTE_TARGET_).mul(quoteBalance).div(_QUOTE_RESERVE_));
            _QUOTE_RESERVE_ = uint112(quoteBalance);
        }
        if (_IS_OPEN_TWAP_) _twapUpdate();
    }

    /// @notice Any token but the pool's two (those leave through `reset`).
    function retrieve(address to, address token, uint256 amount) external preventReentrant onlyOwner {
        require(token != address(_BASE_TOKEN_) && token != address(_QUOTE_TOKEN_), "USE_RESET");
        IERC20(token).safeTransfer(to, amount);
    }

    function version() external pure returns (string memory) {
        return "DPP Advanced 1.0.0";
    }

    function _requireReserves(uint256 minBaseReserve, uint256 minQuoteReserve) internal view {
        require(
            _BASE_RESERVE_ >= minBaseReserve && _QUOTE_RESERVE_ >= minQuoteReserve, "RESERVE_AMOUNT_IS_NOT_ENOUGH"
        );
    }

    /// @dev The range checks in DODO's order (LP fee, `k`, `i`), then the
    /// three stored.
    function _setParameters(uint256 lpFeeRate, uint256 i, uint256 k) internal {
        require(lpFeeRate <= 1e18, "LP_FEE_RATE_OUT_OF_RANGE");
        require(k <= 1e18, "K_OUT_OF_RANGE");
        require(i > 0 && i <= 1e36, "I_OUT_OF_RANGE");
        _LP_FEE_RATE_ = uint64(lpFeeRate);
        _K_ = uint64(k);
        _I_ = uint128(i);
    }

    /// @dev The balances become the reserves and the targets; R = ONE.
    function _resetTargetAndReserve() internal {
        uint256 baseBalance = _BASE_TOKEN_.balanceOf(address(this));
        uint256 quoteBalance = _QUOTE_TOKEN_.balanceOf(address(this));
        require(baseBalance <= type(uint112).max && quoteBalance <= type(uint112).max, "OVERFLOW");
        _BASE_RESERVE_ = uint112(baseBalance);
        _QUOTE_RESERVE_ = uint112(quoteBalance);
        _BASE_TARGET_ = uint112(baseBalance);
        _QUOTE_TARGET_ = uint112(quoteBalance);
        _RState_ = uint32(DodoExactMath.RState.ONE);
        if (_IS_OPEN_TWAP_) _twapUpdate();
    }

    // ---- state views ----

    function getPMMState() public view returns (DodoExactMath.PMMState memory state) {
        state.i = _I_;
        state.K = _K_;
        state.B = _BASE_RESERVE_;
        state.Q = _QUOTE_RESERVE_;
        state.B0 = _BASE_TARGET_;
        state.Q0 = _QUOTE_TARGET_;
        state.R = DodoExactMath.RState(_RState_);
        DodoExactMath.adjustedTarget(state);
    }

    function getPMMStateForCall()
        external
        view
        returns (uint256 i, uint256 K, uint256 B, uint256 Q, uint256 B0, uint256 Q0, uint256 R)
    {
        DodoExactMath.PMMState memory s = getPMMState();
        return (s.i, s.K, s.B, s.Q, s.B0, s.Q0, uint256(s.R));
    }

    function getMidPrice() public view returns (uint256 midPrice) {
        return DodoExactMath.midPrice(getPMMState());
    }

    function getVaultReserve() external view returns (uint256 baseReserve, uint256 quoteReserve) {
        return (_BASE_RESERVE_, _QUOTE_RESERVE_);
    }

    function getUserFeeRate(address user) external view returns (uint256 lpFeeRate, uint256 mtFeeRate) {
        return (_LP_FEE_RATE_, _MT_FEE_RATE_MODEL_.getFeeRate(user));
    }

    function getBaseInput() external view returns (uint256 input) {
        return _BASE_TOKEN_.balanceOf(address(this)).sub(_BASE_RESERVE_);
    }

    function getQuoteInput() external view returns (uint256 input) {
        return _QUOTE_TOKEN_.balanceOf(address(this)).sub(_QUOTE_RESERVE_);
    }

    // ---- queries ----

    function querySellBase(address trader, uint256 payBaseAmount)
        public
        view
        returns (uint256 receiveQuoteAmount, uint256 mtFee, DodoExactMath.RState newRState, uint256 newBaseTarget)
    {
        DodoExactMath.PMMState memory s = getPMMState();
        (receiveQuoteAmount, newRState) = DodoExactMath.sellBaseToken(s, payBaseAmount);
        (receiveQuoteAmount, mtFee) = _fees(trader, receiveQuoteAmount);
        newBaseTarget = s.B0;
    }

    function querySellQuote(address trader, uint256 payQuoteAmount)
        public
        view
        returns (uint256 receiveBaseAmount, uint256 mtFee, DodoExactMath.RState newRState, uint256 newQuoteTarget)
    {
        DodoExactMath.PMMState memory s = getPMMState();
        (receiveBaseAmount, newRState) = DodoExactMath.sellQuoteToken(s, payQuoteAmount);
        (receiveBaseAmount, mtFee) = _fees(trader, receiveBaseAmount);
        newQuoteTarget = s.Q0;
    }

    /// @dev Both fees floored separately from the curve output.
    function _fees(address trader, uint256 out) internal view returns (uint256 receiveAmount, uint256 mtFee) {
        uint256 mtFeeRate = _MT_FEE_RATE_MODEL_.getFeeRate(trader);
        mtFee = DodoExactMath.mulFloor(out, mtFeeRate);
        receiveAmount = out.sub(DodoExactMath.mulFloor(out, _LP_FEE_RATE_)).sub(mtFee);
    }

    // ---- trades ----

    function sellBase(address to) external preventReentrant returns (uint256 receiveQuoteAmount) {
        uint256 baseBalance = _BASE_TOKEN_.balanceOf(address(this));
        uint256 baseInput = baseBalance.sub(_BASE_RESERVE_);
        uint256 mtFee;
        uint256 newBaseTarget;
        DodoExactMath.RState newR;
        (receiveQuoteAmount, mtFee, newR, newBaseTarget) = querySellBase(tx.origin, baseInput);
        _transferOut(_QUOTE_TOKEN_, to, receiveQuoteAmount);
        _transferOut(_QUOTE_TOKEN_, _MAINTAINER_, mtFee);
        _storeBaseTarget(newR, newBaseTarget);
        _setReserve(baseBalance, _QUOTE_TOKEN_.balanceOf(address(this)));
        emit DODOSwap(address(_BASE_TOKEN_), address(_QUOTE_TOKEN_), baseInput, receiveQuoteAmount, msg.sender, to);
    }

    function sellQuote(address to) external preventReentrant returns (uint256 receiveBaseAmount) {
        uint256 quoteBalance = _QUOTE_TOKEN_.balanceOf(address(this));
        uint256 quoteInput = quoteBalance.sub(_QUOTE_RESERVE_);
        uint256 mtFee;
        uint256 newQuoteTarget;
        DodoExactMath.RState newR;
        (receiveBaseAmount, mtFee, newR, newQuoteTarget) = querySellQuote(tx.origin, quoteInput);
        _transferOut(_BASE_TOKEN_, to, receiveBaseAmount);
        _transferOut(_BASE_TOKEN_, _MAINTAINER_, mtFee);
        _storeQuoteTarget(newR, newQuoteTarget);
        _setReserve(_BASE_TOKEN_.balanceOf(address(this)), quoteBalance);
        emit DODOSwap(address(_QUOTE_TOKEN_), address(_BASE_TOKEN_), quoteInput, receiveBaseAmount, msg.sender, to);
    }

    /// @notice DPP's flash loan: what comes back must pay for what is missing,
    /// priced as a sale into the pool; the borrower is called back with
    /// `DPPFlashLoanCall` when `data` is not empty.
    function flashLoan(uint256 baseAmount, uint256 quoteAmount, address assetTo, bytes calldata data)
        external
        preventReentrant
    {
        _transferOut(_BASE_TOKEN_, assetTo, baseAmount);
        _transferOut(_QUOTE_TOKEN_, assetTo, quoteAmount);
        if (data.length > 0) IDODOCallee(assetTo).DPPFlashLoanCall(msg.sender, baseAmount, quoteAmount, data);
        uint256 baseBalance = _BASE_TOKEN_.balanceOf(address(this));
        uint256 quoteBalance = _QUOTE_TOKEN_.balanceOf(address(this));
        require(baseBalance >= _BASE_RESERVE_ || quoteBalance >= _QUOTE_RESERVE_, "FLASH_LOAN_FAILED");
        if (baseBalance < _BASE_RESERVE_) {
            uint256 quoteInput = quoteBalance.sub(_QUOTE_RESERVE_);
            (uint256 receiveBase, uint256 mtFee, DodoExactMath.RState newR, uint256 newQuoteTarget) =
                querySellQuote(tx.origin, quoteInput);
            require(uint256(_BASE_RESERVE_).sub(baseBalance) <= receiveBase, "FLASH_LOAN_FAILED");
            _transferOut(_BASE_TOKEN_, _MAINTAINER_, mtFee);
            _storeQuoteTarget(newR, newQuoteTarget);
            emit DODOSwap(address(_QUOTE_TOKEN_), address(_BASE_TOKEN_), quoteInput, receiveBase, msg.sender, assetTo);
        }
        if (quoteBalance < _QUOTE_RESERVE_) {
            uint256 baseInput = baseBalance.sub(_BASE_RESERVE_);
            (uint256 receiveQuote, uint256 mtFee, DodoExactMath.RState newR, uint256 newBaseTarget) =
                querySellBase(tx.origin, baseInput);
            require(uint256(_QUOTE_RESERVE_).sub(quoteBalance) <= receiveQuote, "FLASH_LOAN_FAILED");
            _transferOut(_QUOTE_TOKEN_, _MAINTAINER_, mtFee);
            _storeBaseTarget(newR, newBaseTarget);
            emit DODOSwap(address(_BASE_TOKEN_), address(_QUOTE_TOKEN_), baseInput, receiveQuote, msg.sender, assetTo);
        }
        _sync();
        emit DODOFlashLoan(msg.sender, assetTo, baseAmount, quoteAmount);
    }

    // ---- reserves ----

    /// @dev A base sale stores the regularised base target when R changes.
    function _storeBaseTarget(DodoExactMath.RState newR, uint256 newBaseTarget) internal {
        if (_RState_ != uint32(newR)) {
            require(newBaseTarget <= type(uint112).max, "OVERFLOW");
            _BASE_TARGET_ = uint112(newBaseTarget);
            _RState_ = uint32(newR);
            emit RChange(newR);
        }
    }

    /// @dev A quote sale stores the regularised quote target when R changes.
    function _storeQuoteTarget(DodoExactMath.RState newR, uint256 newQuoteTarget) internal {
        if (_RState_ != uint32(newR)) {
            require(newQuoteTarget <= type(uint112).max, "OVERFLOW");
            _QUOTE_TARGET_ = uint112(newQuoteTarget);
            _RState_ = uint32(newR);
            emit RChange(newR);
        }
    }

    function _twapUpdate() internal {
        uint32 now32 = uint32(block.timestamp % 2 ** 32);
        uint32 elapsed;
        unchecked {
            elapsed = now32 - _BLOCK_TIMESTAMP_LAST_;
        }
        if (elapsed > 0 && _BASE_RESERVE_ != 0 && _QUOTE_RESERVE_ != 0) {
            unchecked {
                _BASE_PRICE_CUMULATIVE_LAST_ += getMidPrice() * elapsed;
            }
        }
        _BLOCK_TIMESTAMP_LAST_ = now32;
    }

    function _setReserve(uint256 baseReserve, uint256 quoteReserve) internal {
        require(baseReserve <= type(uint112).max && quoteReserve <= type(uint112).max, "OVERFLOW");
        _BASE_RESERVE_ = uint112(baseReserve);
        _QUOTE_RESERVE_ = uint112(quoteReserve);
        if (_IS_OPEN_TWAP_) _twapUpdate();
    }

    function _sync() internal {
        uint256 baseBalance = _BASE_TOKEN_.balanceOf(address(this));
        uint256 quoteBalance = _QUOTE_TOKEN_.balanceOf(address(this));
        require(baseBalance <= type(uint112).max && quoteBalance <= type(uint112).max, "OVERFLOW");
        if (baseBalance != _BASE_RESERVE_) _BASE_RESERVE_ = uint112(baseBalance);
        if (quoteBalance != _QUOTE_RESERVE_) _QUOTE_RESERVE_ = uint112(quoteBalance);
        if (_IS_OPEN_TWAP_) _twapUpdate();
    }

    function _transferOut(IERC20 token, address to, uint256 amount) internal {
        if (amount > 0) token.safeTransfer(to, amount);
    }
}
