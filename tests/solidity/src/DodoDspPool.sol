// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IDODOCallee} from "./interfaces/IDODOCallee.sol";
import {DodoExactMath, IDodoFeeRateModel} from "./lib/DodoExactMath.sol";

interface IDodoSellShareCallee {
    function DVMSellShareCall(
        address sender,
        uint256 burnShareAmount,
        uint256 baseAmount,
        uint256 quoteAmount,
        bytes calldata data
    ) external;
}

/// @title DodoDspPool
/// @notice A pool that behaves as DODO V2's DODO Stable Pool (DSP) to the wei:
/// the same pricing (`DodoExactMath`), fee split (LP fee and maintainer fee
/// floored separately; the maintainer rate from a fee model asked with
/// `tx.origin`), stored state (reserves and targets in 112 bits, the input
/// side's regularised target stored only when R changes), LP shares
/// (`buyShares`, `sellShares`), TWAP, flash loan and revert strings. Written
/// independently from DODO's published contracts; `vault_math::pmm::dodo` is
/// its Rust twin and `crates/chain/tests/dodo_exact_cross_check.rs` compares
/// the two. Test fixture only.
contract DodoDspPool {
    using SafeERC20 for IERC20;
    using DodoExactMath for uint256;

    event DODOSwap(
        address fromToken, address toToken, uint256 fromAmount, uint256 toAmount, address trader, address receiver
    );
    event DODOFlashLoan(address borrower, address assetTo, uint256 baseAmount, uint256 quoteAmount);
    event RChange(DodoExactMath.RState newRState);
    event BuyShares(address to, uint256 increaseShares, uint256 totalShares);
    event SellShares(address payer, address to, uint256 decreaseShares, uint256 totalShares);
    event Transfer(address indexed from, address indexed to, uint256 amount);

    bool internal _entered;
    bool public _IS_OPEN_TWAP_;
    address public _MAINTAINER_;
    IERC20 public _BASE_TOKEN_;
    IERC20 public _QUOTE_TOKEN_;
    uint112 public _BASE_RESERVE_;
    uint112 public _QUOTE_RESERVE_;
    uint32 public _BLOCK_TIMESTAMP_LAST_;
    uint256 public _BASE_PRICE_CUMULATIVE_LAST_;
    uint112 public _BASE_TARGET_;
    uint112 public _QUOTE_TARGET_;
    uint32 public _RState_;
    uint256 public totalSupply;
    mapping(address => uint256) internal _SHARES_;
    IDodoFeeRateModel public _MT_FEE_RATE_MODEL_;
    uint256 public _LP_FEE_RATE_;
    uint256 public _K_;
    uint256 public _I_;

    modifier preventReentrant() {
        require(!_entered, "REENTRANT");
        _entered = true;
        _;
        _entered = false;
    }

    /// @dev DSP's `init`, as a constructor.
    constructor(
        address maintainer,
        address baseTokenAddress,
        address quoteTokenAddress,
        uint256 lpFeeRate,
        address mtFeeRateModel,
        uint256 i,
        uint256 k,
        bool isOpenTWAP
    ) {
        require(baseTokenAddress != quoteTokenAddress, "BASE_QUOTE_CAN_NOT_BE_SAME");
        _BASE_TOKEN_ = IERC20(baseTokenAddress);
        _QUOTE_TOKEN_ = IERC20(quoteTokenAddress);
        require(i > 0 && i <= 1e36);
        _I_ = i;
        require(k <= 1e18);
        _K_ = k;
        _LP_FEE_RATE_ = lpFeeRate;
        _MT_FEE_RATE_MODEL_ = IDodoFeeRateModel(mtFeeRateModel);
        _MAINTAINER_ = maintainer;
        _IS_OPEN_TWAP_ = isOpenTWAP;
        if (isOpenTWAP) _BLOCK_TIMESTAMP_LAST_ = uint32(block.timestamp % 2 ** 32);
    }

    function version() external pure returns (string memory) {
        return "DSP 1.0.1";
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

    function getBaseInput() public view returns (uint256) {
        return _BASE_TOKEN_.balanceOf(address(this)).sub(_BASE_RESERVE_);
    }

    function getQuoteInput() public view returns (uint256) {
        return _QUOTE_TOKEN_.balanceOf(address(this)).sub(_QUOTE_RESERVE_);
    }

    function balanceOf(address owner) external view returns (uint256) {
        return _SHARES_[owner];
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
        if (_RState_ != uint32(newR)) {
            require(newBaseTarget <= type(uint112).max, "OVERFLOW");
            _BASE_TARGET_ = uint112(newBaseTarget);
            _RState_ = uint32(newR);
            emit RChange(newR);
        }
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
        if (_RState_ != uint32(newR)) {
            require(newQuoteTarget <= type(uint112).max, "OVERFLOW");
            _QUOTE_TARGET_ = uint112(newQuoteTarget);
            _RState_ = uint32(newR);
            emit RChange(newR);
        }
        _setReserve(_BASE_TOKEN_.balanceOf(address(this)), quoteBalance);
        emit DODOSwap(address(_QUOTE_TOKEN_), address(_BASE_TOKEN_), quoteInput, receiveBaseAmount, msg.sender, to);
    }

    /// @notice DSP's flash loan: what comes back must pay for what is missing,
    /// priced as a sale into the pool.
    function flashLoan(uint256 baseAmount, uint256 quoteAmount, address assetTo, bytes calldata data)
        external
        preventReentrant
    {
        _transferOut(_BASE_TOKEN_, assetTo, baseAmount);
        _transferOut(_QUOTE_TOKEN_, assetTo, quoteAmount);
        if (data.length > 0) IDODOCallee(assetTo).DSPFlashLoanCall(msg.sender, baseAmount, quoteAmount, data);
        uint256 baseBalance = _BASE_TOKEN_.balanceOf(address(this));
        uint256 quoteBalance = _QUOTE_TOKEN_.balanceOf(address(this));
        require(baseBalance >= _BASE_RESERVE_ || quoteBalance >= _QUOTE_RESERVE_, "FLASH_LOAN_FAILED");
        if (baseBalance < _BASE_RESERVE_) {
            uint256 quoteInput = quoteBalance.sub(_QUOTE_RESERVE_);
            (uint256 receiveBase, uint256 mtFee, DodoExactMath.RState newR, uint256 newQuoteTarget) =
                querySellQuote(tx.origin, quoteInput);
            require(uint256(_BASE_RESERVE_).sub(baseBalance) <= receiveBase, "FLASH_LOAN_FAILED");
            _transferOut(_BASE_TOKEN_, _MAINTAINER_, mtFee);
            if (_RState_ != uint32(newR)) {
                require(newQuoteTarget <= type(uint112).max, "OVERFLOW");
                _QUOTE_TARGET_ = uint112(newQuoteTarget);
                _RState_ = uint32(newR);
                emit RChange(newR);
            }
            emit DODOSwap(address(_QUOTE_TOKEN_), address(_BASE_TOKEN_), quoteInput, receiveBase, msg.sender, assetTo);
        }
        if (quoteBalance < _QUOTE_RESERVE_) {
            uint256 baseInput = baseBalance.sub(_BASE_RESERVE_);
            (uint256 receiveQuote, uint256 mtFee, DodoExactMath.RState newR, uint256 newBaseTarget) =
                querySellBase(tx.origin, baseInput);
            require(uint256(_QUOTE_RESERVE_).sub(quoteBalance) <= receiveQuote, "FLASH_LOAN_FAILED");
            _transferOut(_QUOTE_TOKEN_, _MAINTAINER_, mtFee);
            if (_RState_ != uint32(newR)) {
                require(newBaseTarget <= type(uint112).max, "OVERFLOW");
                _BASE_TARGET_ = uint112(newBaseTarget);
                _RState_ = uint32(newR);
                emit RChange(newR);
            }
            emit DODOSwap(address(_BASE_TOKEN_), address(_QUOTE_TOKEN_), baseInput, receiveQuote, msg.sender, assetTo);
        }
        _sync();
        emit DODOFlashLoan(msg.sender, assetTo, baseAmount, quoteAmount);
    }

    // ---- shares ----

    function buyShares(address to)
        external
        preventReentrant
        returns (uint256 shares, uint256 baseInput, uint256 quoteInput)
    {
        uint256 baseBalance = _BASE_TOKEN_.balanceOf(address(this));
        uint256 quoteBalance = _QUOTE_TOKEN_.balanceOf(address(this));
        uint256 baseReserve = _BASE_RESERVE_;
        uint256 quoteReserve = _QUOTE_RESERVE_;
        baseInput = baseBalance.sub(baseReserve);
        quoteInput = quoteBalance.sub(quoteReserve);
        require(baseInput > 0, "NO_BASE_INPUT");
        if (totalSupply == 0) {
            require(quoteBalance > 0, "ZERO_QUOTE_AMOUNT");
            shares = quoteBalance < DodoExactMath.mulFloor(baseBalance, _I_)
                ? DodoExactMath.divFloor(quoteBalance, _I_)
                : baseBalance;
            _BASE_TARGET_ = uint112(shares);
            _QUOTE_TARGET_ = uint112(DodoExactMath.mulFloor(shares, _I_));
            require(shares > 2001, "MINT_AMOUNT_NOT_ENOUGH");
            require(_QUOTE_TARGET_ > 0, "QUOTE_TARGET_IS_ZERO");
            _mint(address(0), 1001);
            shares -= 1001;
        } else if (baseReserve > 0 && quoteReserve > 0) {
            uint256 baseRatio = DodoExactMath.divFloor(baseInput, baseReserve);
            uint256 quoteRatio = DodoExactMath.divFloor(quoteInput, quoteReserve);
            uint256 ratio = quoteRatio < baseRatio ? quoteRatio : baseRatio;
            shares = DodoExactMath.mulFloor(totalSupply, ratio);
            uint256 b0 = _BASE_TARGET_;
            uint256 q0 = _QUOTE_TARGET_;
            _BASE_TARGET_ = uint112(b0.add(DodoExactMath.mulFloor(b0, ratio)));
            _QUOTE_TARGET_ = uint112(q0.add(DodoExactMath.mulFloor(q0, ratio)));
        }
        _mint(to, shares);
        _setReserve(baseBalance, quoteBalance);
        emit BuyShares(to, shares, _SHARES_[to]);
    }

    function sellShares(
        uint256 shareAmount,
        address to,
        uint256 baseMinAmount,
        uint256 quoteMinAmount,
        bytes calldata data,
        uint256 deadline
    ) external preventReentrant returns (uint256 baseAmount, uint256 quoteAmount) {
        require(deadline >= block.timestamp, "TIME_EXPIRED");
        require(shareAmount <= _SHARES_[msg.sender], "DLP_NOT_ENOUGH");
        require(to != address(this), "SELL_BACK_NOT_ALLOWED");
        (baseAmount, quoteAmount) = _shareOfBalances(shareAmount);
        _shrinkTargets(shareAmount);
        require(baseAmount >= baseMinAmount && quoteAmount >= quoteMinAmount, "WITHDRAW_NOT_ENOUGH");
        _burn(msg.sender, shareAmount);
        _transferOut(_BASE_TOKEN_, to, baseAmount);
        _transferOut(_QUOTE_TOKEN_, to, quoteAmount);
        _sync();
        if (data.length > 0) {
            IDodoSellShareCallee(to).DVMSellShareCall(msg.sender, shareAmount, baseAmount, quoteAmount, data);
        }
        emit SellShares(msg.sender, to, shareAmount, _SHARES_[msg.sender]);
    }

    /// @dev `floor(balance · shares / supply)` of each token.
    function _shareOfBalances(uint256 shareAmount) internal view returns (uint256 baseAmount, uint256 quoteAmount) {
        uint256 total = totalSupply;
        baseAmount = _BASE_TOKEN_.balanceOf(address(this)).mul(shareAmount).div(total);
        quoteAmount = _QUOTE_TOKEN_.balanceOf(address(this)).mul(shareAmount).div(total);
    }

    /// @dev Each target falls by `ceil(target · shares / supply)`.
    function _shrinkTargets(uint256 shareAmount) internal {
        uint256 total = totalSupply;
        uint256 b0 = _BASE_TARGET_;
        uint256 q0 = _QUOTE_TARGET_;
        _BASE_TARGET_ = uint112(b0.sub(b0.mul(shareAmount).divCeilRaw(total)));
        _QUOTE_TARGET_ = uint112(q0.sub(q0.mul(shareAmount).divCeilRaw(total)));
    }

    // ---- reserves ----

    function sync() external preventReentrant {
        _sync();
    }

    function correctRState() public {
        if (_RState_ == uint32(DodoExactMath.RState.BELOW_ONE) && _BASE_RESERVE_ < _BASE_TARGET_) {
            _RState_ = uint32(DodoExactMath.RState.ONE);
            _BASE_TARGET_ = _BASE_RESERVE_;
            _QUOTE_TARGET_ = _QUOTE_RESERVE_;
        }
        if (_RState_ == uint32(DodoExactMath.RState.ABOVE_ONE) && _QUOTE_RESERVE_ < _QUOTE_TARGET_) {
            _RState_ = uint32(DodoExactMath.RState.ONE);
            _BASE_TARGET_ = _BASE_RESERVE_;
            _QUOTE_TARGET_ = _QUOTE_RESERVE_;
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

    function _mint(address user, uint256 value) internal {
        require(value > 1000, "MINT_AMOUNT_NOT_ENOUGH");
        _SHARES_[user] = _SHARES_[user].add(value);
        totalSupply = totalSupply.add(value);
        emit Transfer(address(0), user, value);
    }

    function _burn(address user, uint256 value) internal {
        _SHARES_[user] = _SHARES_[user].sub(value);
        totalSupply = totalSupply.sub(value);
        emit Transfer(user, address(0), value);
    }
}
