// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {IDODOCallee} from "./interfaces/IDODOCallee.sol";
import {PmmMath, PMMState, RState, SellOutcome} from "./lib/PmmMath.sol";

/// @title PmmPool
/// @notice Test fixture: a DODO V2 PMM pool (DSP-compatible interface) for the
/// project's in-process chain. Not for production use.
///
/// It was written independently from DODO's published PMM formulas, and it
/// prices with `PmmMath`, which repeats the rounding of crates/math/src/pmm.rs
/// step for step, so a test can check the Rust math against it to the wei.
///
/// Compatible with DODO's DSP ABI for: `sellBase`, `sellQuote` (transfer the
/// input first; input = balance - reserve), `querySellBase`,
/// `querySellQuote`, `getPMMState`, `getPMMStateForCall`, `getMidPrice`,
/// `getVaultReserve`, `getUserFeeRate`, `getBaseInput`, `getQuoteInput`,
/// `flashLoan` (callback `DSPFlashLoanCall`), `sync`, and the public
/// variables `_BASE_TOKEN_`, `_QUOTE_TOKEN_`, `_BASE_RESERVE_`,
/// `_QUOTE_RESERVE_`, `_BASE_TARGET_`, `_QUOTE_TARGET_`, `_RState_`, `_I_`,
/// `_K_`, `_LP_FEE_RATE_`, `_MAINTAINER_`, `_IS_OPEN_TWAP_`,
/// `_BASE_PRICE_CUMULATIVE_LAST_`, `_BLOCK_TIMESTAMP_LAST_`; GSP's
/// `_MT_FEE_RATE_`; events `DODOSwap`, `RChange`, `DODOFlashLoan` and GSP's
/// `IChange`.
///
/// Where it differs from DODO (on purpose, to follow crates/math):
/// - fees: total `ceil(out(lp + mt))`, maintainer `floor(out * mt)`, LP the
///   rest (DODO floors both, so it pays at most 1 wei more);
/// - `getMidPrice` is exactly `i` at R = ONE, even with LP fees accrued;
/// - the regularised target is bracketed by integer bounds and the one that
///   pays the trader less is used; `1/i` stays an exact fraction;
/// - no LP shares: the owner adds and removes liquidity (`deposit`,
///   `withdraw`), and the fee rates are fixed at construction with no fee
///   rate model (`getUserFeeRate` returns them; `_MT_FEE_RATE_MODEL_` is not
///   provided).
/// - `setI` (owner) moves the guide price and emits GSP's `IChange` event;
///   `setTargets` (owner) writes the targets and R directly, a test hook.
contract PmmPool is Ownable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    // ------------------------------------------------------------- storage

    /// @notice Base token.
    IERC20 public immutable _BASE_TOKEN_;
    /// @notice Quote token.
    IERC20 public immutable _QUOTE_TOKEN_;
    /// @notice Slippage factor k, 1e18 = 1.
    uint256 public immutable _K_;
    /// @notice LP fee rate, 1e18 = 100%.
    uint256 public immutable _LP_FEE_RATE_;
    /// @notice Maintainer fee rate, 1e18 = 100%.
    uint256 public immutable _MT_FEE_RATE_;
    /// @notice Receiver of the maintainer fee.
    address public immutable _MAINTAINER_;
    /// @notice Whether trades update the base-price accumulator.
    bool public immutable _IS_OPEN_TWAP_;

    /// @notice Guide price i: quote per base, 1e18 fixed point.
    uint256 public _I_;
    /// @notice Base reserve the pool prices with.
    uint112 public _BASE_RESERVE_;
    /// @notice Quote reserve the pool prices with.
    uint112 public _QUOTE_RESERVE_;
    /// @notice Time of the last accumulator update, modulo 2**32.
    uint32 public _BLOCK_TIMESTAMP_LAST_;
    /// @notice Stored base target.
    uint112 public _BASE_TARGET_;
    /// @notice Stored quote target.
    uint112 public _QUOTE_TARGET_;
    /// @notice R state: 0 ONE, 1 ABOVE_ONE, 2 BELOW_ONE.
    uint32 public _RState_;
    /// @notice Sum of (mid price after each update) x (seconds since the
    /// previous update), as DODO keeps it; wraps on overflow.
    uint256 public _BASE_PRICE_CUMULATIVE_LAST_;

    // -------------------------------------------------------------- events

    /// @notice A trade (DODO's event).
    event DODOSwap(
        address fromToken, address toToken, uint256 fromAmount, uint256 toAmount, address trader, address receiver
    );
    /// @notice R changed (DODO's event).
    event RChange(RState newRState);
    /// @notice A flash loan (DODO's event).
    event DODOFlashLoan(address borrower, address assetTo, uint256 baseAmount, uint256 quoteAmount);
    /// @notice The guide price changed (GSP's event).
    event IChange(uint256 newI);
    /// @notice The owner wrote the targets and R directly.
    event TargetsSet(uint256 baseTarget, uint256 quoteTarget, RState rState);
    /// @notice The owner added liquidity; the targets are now the reserves.
    event LiquidityDeposited(uint256 baseAmount, uint256 quoteAmount, uint256 baseReserve, uint256 quoteReserve);
    /// @notice The owner removed liquidity; the targets are now the reserves.
    event LiquidityWithdrawn(
        address indexed to, uint256 baseAmount, uint256 quoteAmount, uint256 baseReserve, uint256 quoteReserve
    );

    // -------------------------------------------------------------- errors

    /// @notice A constructor or owner argument is out of range.
    error InvalidParameter();
    /// @notice A token balance or target does not fit in 112 bits.
    error ReserveOverflow();
    /// @notice A balance is below its reserve where an input was expected.
    error BalanceBelowReserve();
    /// @notice The flash loan was not paid back.
    error FlashLoanFailed();
    /// @notice Liquidity can be changed only at R = ONE.
    error NotAtEquilibrium();

    // --------------------------------------------------------- construction

    /// @param owner_ Owner: adds and removes liquidity, sets i.
    /// @param maintainer Receiver of the maintainer fee (nonzero).
    /// @param baseToken Base token.
    /// @param quoteToken Quote token.
    /// @param lpFeeRate LP fee, 1e18 = 100%.
    /// @param mtFeeRate Maintainer fee, 1e18 = 100%; `lpFeeRate + mtFeeRate <= 1e18`.
    /// @param i Guide price, quote per base in 1e18 (> 0).
    /// @param k Slippage factor in [0, 1e18].
    /// @param isOpenTWAP Whether trades update `_BASE_PRICE_CUMULATIVE_LAST_`.
    constructor(
        address owner_,
        address maintainer,
        address baseToken,
        address quoteToken,
        uint256 lpFeeRate,
        uint256 mtFeeRate,
        uint256 i,
        uint256 k,
        bool isOpenTWAP
    ) Ownable(owner_) {
        if (
            maintainer == address(0) || baseToken == address(0) || quoteToken == address(0)
                || baseToken == quoteToken || i == 0 || k > PmmMath.ONE || lpFeeRate > PmmMath.ONE
                || mtFeeRate > PmmMath.ONE - lpFeeRate
        ) revert InvalidParameter();
        _BASE_TOKEN_ = IERC20(baseToken);
        _QUOTE_TOKEN_ = IERC20(quoteToken);
        _MAINTAINER_ = maintainer;
        _LP_FEE_RATE_ = lpFeeRate;
        _MT_FEE_RATE_ = mtFeeRate;
        _I_ = i;
        _K_ = k;
        _IS_OPEN_TWAP_ = isOpenTWAP;
        _BLOCK_TIMESTAMP_LAST_ = uint32(block.timestamp % 2 ** 32);
        emit IChange(i);
    }

    // --------------------------------------------------------------- views

    /// @notice Fixture name and version.
    function version() external pure returns (string memory) {
        return "PmmPool 1.0.0 (DSP-compatible test fixture)";
    }

    /// @notice LP and maintainer fee rates (the same for every trader).
    function getUserFeeRate(address) external view returns (uint256 lpFeeRate, uint256 mtFeeRate) {
        return (_LP_FEE_RATE_, _MT_FEE_RATE_);
    }

    /// @notice The reserves the pool prices with.
    function getVaultReserve() external view returns (uint256 baseReserve, uint256 quoteReserve) {
        return (_BASE_RESERVE_, _QUOTE_RESERVE_);
    }

    /// @notice Base sent to the pool and not yet sold: balance - reserve.
    function getBaseInput() external view returns (uint256 input) {
        return _input(_BASE_TOKEN_.balanceOf(address(this)), _BASE_RESERVE_);
    }

    /// @notice Quote sent to the pool and not yet sold: balance - reserve.
    function getQuoteInput() external view returns (uint256 input) {
        return _input(_QUOTE_TOKEN_.balanceOf(address(this)), _QUOTE_RESERVE_);
    }

    /// @notice The pricing state with the short side's target regularised
    /// (crates/math `adjusted_target`). At R = ONE the stored state is
    /// returned as it is, also for an empty pool.
    function getPMMState() public view returns (PMMState memory state) {
        state = _state();
        if (state.R != RState.ONE) state = PmmMath.adjustedTarget(state);
    }

    /// @notice `getPMMState` as separate words, R as a number.
    function getPMMStateForCall()
        external
        view
        returns (uint256 i, uint256 K, uint256 B, uint256 Q, uint256 B0, uint256 Q0, uint256 R)
    {
        PMMState memory s = getPMMState();
        return (s.i, s.K, s.B, s.Q, s.B0, s.Q0, uint256(s.R));
    }

    /// @notice Marginal price, quote per base in 1e18, rounded down
    /// (crates/math `mid_price`).
    function getMidPrice() public view returns (uint256 midPrice) {
        return PmmMath.midPrice(_state());
    }

    /// @notice What `sellBase` would pay for `payBaseAmount` of base
    /// (crates/math `sell_base`). `newBaseTarget` is the regularised base
    /// target, which is stored if R changes.
    function querySellBase(address, uint256 payBaseAmount)
        public
        view
        returns (uint256 receiveQuoteAmount, uint256 mtFee, RState newRState, uint256 newBaseTarget)
    {
        SellOutcome memory o = PmmMath.sellBase(_state(), payBaseAmount, _LP_FEE_RATE_, _MT_FEE_RATE_);
        return (o.receiveAmount, o.mtFee, o.newState.R, o.inputSideTarget);
    }

    /// @notice What `sellQuote` would pay for `payQuoteAmount` of quote
    /// (crates/math `sell_quote`). `newQuoteTarget` is the regularised quote
    /// target, which is stored if R changes.
    function querySellQuote(address, uint256 payQuoteAmount)
        public
        view
        returns (uint256 receiveBaseAmount, uint256 mtFee, RState newRState, uint256 newQuoteTarget)
    {
        SellOutcome memory o = PmmMath.sellQuote(_state(), payQuoteAmount, _LP_FEE_RATE_, _MT_FEE_RATE_);
        return (o.receiveAmount, o.mtFee, o.newState.R, o.inputSideTarget);
    }

    // -------------------------------------------------------------- trades

    /// @notice Sells the base sent to the pool beforehand; pays quote to `to`.
    function sellBase(address to) external nonReentrant returns (uint256 receiveQuoteAmount) {
        uint256 baseBalance = _BASE_TOKEN_.balanceOf(address(this));
        uint256 baseInput = _input(baseBalance, _BASE_RESERVE_);
        SellOutcome memory o = PmmMath.sellBase(_state(), baseInput, _LP_FEE_RATE_, _MT_FEE_RATE_);
        receiveQuoteAmount = o.receiveAmount;
        _transferOut(_QUOTE_TOKEN_, to, receiveQuoteAmount);
        _transferOut(_QUOTE_TOKEN_, _MAINTAINER_, o.mtFee);
        _applyR(o.newState);
        _setReserve(baseBalance, _QUOTE_TOKEN_.balanceOf(address(this)));
        emit DODOSwap(address(_BASE_TOKEN_), address(_QUOTE_TOKEN_), baseInput, receiveQuoteAmount, msg.sender, to);
    }

    /// @notice Sells the quote sent to the pool beforehand; pays base to `to`.
    function sellQuote(address to) external nonReentrant returns (uint256 receiveBaseAmount) {
        uint256 quoteBalance = _QUOTE_TOKEN_.balanceOf(address(this));
        uint256 quoteInput = _input(quoteBalance, _QUOTE_RESERVE_);
        SellOutcome memory o = PmmMath.sellQuote(_state(), quoteInput, _LP_FEE_RATE_, _MT_FEE_RATE_);
        receiveBaseAmount = o.receiveAmount;
        _transferOut(_BASE_TOKEN_, to, receiveBaseAmount);
        _transferOut(_BASE_TOKEN_, _MAINTAINER_, o.mtFee);
        _applyR(o.newState);
        _setReserve(_BASE_TOKEN_.balanceOf(address(this)), quoteBalance);
        emit DODOSwap(address(_QUOTE_TOKEN_), address(_BASE_TOKEN_), quoteInput, receiveBaseAmount, msg.sender, to);
    }

    /// @notice DODO's flash loan: sends the amounts to `assetTo`, calls its
    /// `DSPFlashLoanCall` when `data` is not empty, then requires that what
    /// is back pays for what is missing. A shortfall of one token must be
    /// covered by a surplus of the other, priced as a sale into the pool
    /// (with fees); a shortfall of both reverts.
    function flashLoan(uint256 baseAmount, uint256 quoteAmount, address assetTo, bytes calldata data)
        external
        nonReentrant
    {
        _transferOut(_BASE_TOKEN_, assetTo, baseAmount);
        _transferOut(_QUOTE_TOKEN_, assetTo, quoteAmount);
        if (data.length > 0) IDODOCallee(assetTo).DSPFlashLoanCall(msg.sender, baseAmount, quoteAmount, data);

        uint256 baseBalance = _BASE_TOKEN_.balanceOf(address(this));
        uint256 quoteBalance = _QUOTE_TOKEN_.balanceOf(address(this));
        uint256 baseReserve = _BASE_RESERVE_;
        uint256 quoteReserve = _QUOTE_RESERVE_;
        if (baseBalance < baseReserve && quoteBalance < quoteReserve) revert FlashLoanFailed();
        if (baseBalance < baseReserve) {
            _settleFlashSale(false, quoteBalance - quoteReserve, baseReserve - baseBalance, assetTo);
        } else if (quoteBalance < quoteReserve) {
            _settleFlashSale(true, baseBalance - baseReserve, quoteReserve - quoteBalance, assetTo);
        }
        _sync();
        emit DODOFlashLoan(msg.sender, assetTo, baseAmount, quoteAmount);
    }

    /// @notice Sets the reserves to the balances (DODO's `sync`).
    function sync() external nonReentrant {
        _sync();
    }

    // --------------------------------------------------------------- owner

    /// @notice Adds liquidity from the owner (`transferFrom`; approve first).
    /// Only at R = ONE; afterwards the targets equal the reserves, so the
    /// pool prices at exactly `i`. This is how a test seeds a new pool.
    function deposit(uint256 baseAmount, uint256 quoteAmount) external onlyOwner nonReentrant {
        if (RState(_RState_) != RState.ONE) revert NotAtEquilibrium();
        if (baseAmount > 0) _BASE_TOKEN_.safeTransferFrom(msg.sender, address(this), baseAmount);
        if (quoteAmount > 0) _QUOTE_TOKEN_.safeTransferFrom(msg.sender, address(this), quoteAmount);
        _resetToBalances();
        emit LiquidityDeposited(baseAmount, quoteAmount, _BASE_RESERVE_, _QUOTE_RESERVE_);
    }

    /// @notice Removes liquidity to `to`. Only at R = ONE; afterwards the
    /// targets equal the reserves.
    function withdraw(address to, uint256 baseAmount, uint256 quoteAmount) external onlyOwner nonReentrant {
        if (RState(_RState_) != RState.ONE) revert NotAtEquilibrium();
        _transferOut(_BASE_TOKEN_, to, baseAmount);
        _transferOut(_QUOTE_TOKEN_, to, quoteAmount);
        _resetToBalances();
        emit LiquidityWithdrawn(to, baseAmount, quoteAmount, _BASE_RESERVE_, _QUOTE_RESERVE_);
    }

    /// @notice Sets the guide price i (an oracle-driven pool's update). The
    /// targets and R stay; the next trade prices around the new i.
    function setI(uint256 newI) external onlyOwner {
        if (newI == 0) revert InvalidParameter();
        _I_ = newI;
        emit IChange(newI);
    }

    /// @notice Test hook: writes the targets and R as given, so a test can
    /// put the pool in any PMM state (send tokens and `sync` for the
    /// reserves). Trades revert with `MathInvalidInput` while the state is
    /// outside the formulas' domain.
    function setTargets(uint256 baseTarget, uint256 quoteTarget, RState rState) external onlyOwner {
        if (baseTarget > type(uint112).max || quoteTarget > type(uint112).max) revert ReserveOverflow();
        _BASE_TARGET_ = uint112(baseTarget);
        _QUOTE_TARGET_ = uint112(quoteTarget);
        _RState_ = uint32(uint8(rState));
        emit TargetsSet(baseTarget, quoteTarget, rState);
    }

    // ------------------------------------------------------------ internal

    function _state() internal view returns (PMMState memory) {
        return PMMState(
            _I_, _K_, _BASE_RESERVE_, _QUOTE_RESERVE_, _BASE_TARGET_, _QUOTE_TARGET_, RState(uint8(_RState_))
        );
    }

    function _input(uint256 balance, uint256 reserve) internal pure returns (uint256) {
        if (balance < reserve) revert BalanceBelowReserve();
        return balance - reserve;
    }

    function _transferOut(IERC20 token, address to, uint256 amount) internal {
        if (amount > 0) token.safeTransfer(to, amount);
    }

    /// @dev Settles the sale a flash-loan repayment amounts to: `input` of one
    /// token for a `shortfall` of the other.
    function _settleFlashSale(bool sellsBase, uint256 input, uint256 shortfall, address assetTo) internal {
        SellOutcome memory o = sellsBase
            ? PmmMath.sellBase(_state(), input, _LP_FEE_RATE_, _MT_FEE_RATE_)
            : PmmMath.sellQuote(_state(), input, _LP_FEE_RATE_, _MT_FEE_RATE_);
        if (shortfall > o.receiveAmount) revert FlashLoanFailed();
        (IERC20 fromToken, IERC20 toToken) = sellsBase ? (_BASE_TOKEN_, _QUOTE_TOKEN_) : (_QUOTE_TOKEN_, _BASE_TOKEN_);
        _transferOut(toToken, _MAINTAINER_, o.mtFee);
        _applyR(o.newState);
        emit DODOSwap(address(fromToken), address(toToken), input, o.receiveAmount, msg.sender, assetTo);
    }

    /// @dev As in DODO, the targets are written only when R changes.
    function _applyR(PMMState memory next) internal {
        if (uint32(uint8(next.R)) == _RState_) return;
        if (next.B0 > type(uint112).max || next.Q0 > type(uint112).max) revert ReserveOverflow();
        _BASE_TARGET_ = uint112(next.B0);
        _QUOTE_TARGET_ = uint112(next.Q0);
        _RState_ = uint32(uint8(next.R));
        emit RChange(next.R);
    }

    function _sync() internal {
        _setReserve(_BASE_TOKEN_.balanceOf(address(this)), _QUOTE_TOKEN_.balanceOf(address(this)));
    }

    /// @dev Reserves and targets to the balances (R = ONE), then the TWAP.
    function _resetToBalances() internal {
        uint256 baseBalance = _BASE_TOKEN_.balanceOf(address(this));
        uint256 quoteBalance = _QUOTE_TOKEN_.balanceOf(address(this));
        if (baseBalance > type(uint112).max || quoteBalance > type(uint112).max) revert ReserveOverflow();
        _BASE_TARGET_ = uint112(baseBalance);
        _QUOTE_TARGET_ = uint112(quoteBalance);
        _setReserve(baseBalance, quoteBalance);
    }

    function _setReserve(uint256 baseReserve, uint256 quoteReserve) internal {
        if (baseReserve > type(uint112).max || quoteReserve > type(uint112).max) revert ReserveOverflow();
        _BASE_RESERVE_ = uint112(baseReserve);
        _QUOTE_RESERVE_ = uint112(quoteReserve);
        if (_IS_OPEN_TWAP_) _twapUpdate();
    }

    /// @dev DODO's accumulator: after the reserves are set, the mid price of
    /// the new state is credited for the whole time since the last update
    /// (so one trade after a quiet period moves it).
    function _twapUpdate() internal {
        uint32 now32 = uint32(block.timestamp % 2 ** 32);
        uint32 elapsed;
        unchecked {
            elapsed = now32 - _BLOCK_TIMESTAMP_LAST_;
        }
        if (elapsed > 0 && _BASE_RESERVE_ != 0 && _QUOTE_RESERVE_ != 0) {
            uint256 price = getMidPrice();
            unchecked {
                _BASE_PRICE_CUMULATIVE_LAST_ += price * elapsed;
            }
        }
        _BLOCK_TIMESTAMP_LAST_ = now32;
    }
}
