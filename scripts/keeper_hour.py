#!/usr/bin/env python3
"""The flow and the accounting of scripts/keeper-hour (run by it; stdlib only).

Replays an external flow with the simulator's distribution (crates/sim/src/
flow.rs, scenarios/baseline.toml) on the one public pool of a vault-node
that mines one block per transaction, while a vault-keeper runs against it,
then sums the keeper's transactions from the receipts.

The flow, per block: with chance usd_per_hour / (mean_trade_usd * 14,400)
one trade of 1 + below(2 * mean_trade_usd) USD, in the regime's direction
(bias_bps 10,000: always), the regime flipping with chance 1/regime_blocks;
a drain of drain_usd with chance 1 / (drain_every_blocks * 4) in a random
direction (the simulator draws one drain per ~3,600 blocks over its four
pools: this keeps one pool's share). Its own seeded SplitMix64, not the
simulator's sequence. A trade is the trader's transfer to the pool and
sellBase/sellQuote (two transactions, two blocks). Blocks between trades
are mined in bulk (evm_mine with a count); after a trade, one block at a
time, every block left to the keeper until it has taken its turn on it and
its nonce has stayed put for QUIET blocks.
"""

import argparse
import json
import sys
import time
import urllib.request

BLOCKS_PER_HOUR = 14_400
QUIET = 3
MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, bound):
        return self.next() % bound if bound else 0

    def chance(self, numerator, denominator):
        return self.below(denominator) < numerator


class Rpc:
    def __init__(self, url):
        self.url = url
        self.id = 0

    def _post(self, body):
        request = urllib.request.Request(self.url, json.dumps(body).encode(), {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())

    def __call__(self, method, *params):
        self.id += 1
        reply = self._post({"jsonrpc": "2.0", "id": self.id, "method": method, "params": list(params)})
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def batch(self, calls):
        out = []
        for start in range(0, len(calls), 500):
            body = [{"jsonrpc": "2.0", "id": i, "method": m, "params": list(p)}
                    for i, (m, p) in enumerate(calls[start:start + 500])]
            replies = sorted(self._post(body), key=lambda r: r["id"])
            for reply in replies:
                if "error" in reply:
                    raise RuntimeError(f"batch: {reply['error']}")
                out.append(reply["result"])
        return out


def word(value):
    return f"{value:064x}"


def addr_word(address):
    return "0" * 24 + address[2:].lower()


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def metrics(url):
    try:
        text = urllib.request.urlopen(url, timeout=5).read().decode()
    except OSError as e:
        fail(f"the keeper's metrics at {url}: {e}")
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rpc", required=True)
    p.add_argument("--metrics", required=True)
    p.add_argument("--keeper", required=True)
    p.add_argument("--keeper-pid", type=int, required=True)
    p.add_argument("--trader", required=True)
    p.add_argument("--pool", required=True)
    p.add_argument("--base", required=True)
    p.add_argument("--quote", required=True)
    p.add_argument("--stabilizer", required=True)
    p.add_argument("--flash-containment", required=True)
    p.add_argument("--sell-base", required=True, help="selector")
    p.add_argument("--sell-quote", required=True, help="selector")
    p.add_argument("--blocks", type=int, default=3600)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--sim-gas", type=int, default=6_155_514)
    a = p.parse_args()

    rpc = Rpc(a.rpc)
    usd_per_hour, mean, bias_bps, regime_blocks = 50_000, 250, 10_000, 14_400
    drain_every, drain_usd, sim_pools = 3_600, 20_000, 4
    decimals = 6  # cUSDT and cUSDC; one token is one USD at the peg

    def alive():
        try:
            import os
            os.kill(a.keeper_pid, 0)
        except OSError:
            fail("the keeper process exited during the run")

    def head():
        return int(rpc("eth_blockNumber"), 16)

    def keeper_nonce():
        return int(rpc("eth_getTransactionCount", a.keeper, "latest"), 16)

    def send(to, data):
        tx = rpc("eth_sendTransaction", {"from": a.trader, "to": to, "data": data, "gas": hex(2_000_000)})
        receipt = rpc("eth_getTransactionReceipt", tx)
        if receipt is None or receipt["status"] != "0x1":
            fail(f"the trader's transaction {tx} to {to} did not succeed: {receipt}")

    def trade(sells_base, usd):
        token = a.base if sells_base else a.quote
        amount = usd * 10**decimals
        send(token, "0xa9059cbb" + addr_word(a.pool) + word(amount))
        send(a.pool, (a.sell_base if sells_base else a.sell_quote) + addr_word(a.trader))

    def settle():
        """Waits until the keeper has taken its turn on the head block and
        nothing has moved for 250 ms (one L2 block); returns its nonce."""
        deadline = time.monotonic() + 30
        last = None
        while time.monotonic() < deadline:
            alive()
            state = (head(), keeper_nonce(), int(metrics(a.metrics).get("keeper_last_block", -1)))
            if state[2] == state[0] and state == last:
                return state[1]
            last = state
            time.sleep(0.25)
        fail(f"the keeper did not settle on block {head()} within 30 s")

    def react():
        """One block at a time until the keeper's nonce stays put for QUIET blocks."""
        nonce, still = settle(), 0
        while still < QUIET and head() - start < a.blocks:
            rpc("evm_mine")
            now = settle()
            still = still + 1 if now == nonce else 0
            nonce = now

    # The schedule, drawn before the run: (relative block, sells_base, usd, drain).
    rng = SplitMix64(a.seed)
    flow_rng, drain_rng = SplitMix64(rng.next()), SplitMix64(rng.next())
    regime = flow_rng.below(2) == 0
    denominator = mean * BLOCKS_PER_HOUR
    schedule = []
    for b in range(a.blocks):
        if flow_rng.chance(1, regime_blocks):
            regime = not regime
        trades = usd_per_hour // denominator + (1 if flow_rng.chance(usd_per_hour % denominator, denominator) else 0)
        for _ in range(trades):
            usd = 1 + flow_rng.below(2 * mean)
            with_regime = flow_rng.chance(bias_bps, 10_000) or flow_rng.below(2) == 0
            schedule.append((b, regime if with_regime else not regime, usd, False))
        if drain_rng.chance(1, drain_every * sim_pools):
            schedule.append((b, drain_rng.below(2) == 0, drain_usd, True))

    start = head()
    nonce0 = keeper_nonce()
    started = time.monotonic()
    late = 0
    print(f"flow: {len(schedule)} sales drawn over {a.blocks} blocks from block {start} "
          f"({sum(1 for s in schedule if s[3])} drains)", flush=True)
    for i, (b, sells_base, usd, drain) in enumerate(schedule):
        now = head() - start
        if now >= a.blocks:
            break
        if b > now:
            rpc("evm_mine", hex(b - now))
        elif b < now:
            late += 1
        alive()
        trade(sells_base, usd)
        react()
        if (i + 1) % 10 == 0:
            print(f"  {i + 1}/{len(schedule)} sales, block +{head() - start}, "
                  f"keeper nonce +{keeper_nonce() - nonce0}, {time.monotonic() - started:.0f} s", flush=True)
    done = len([s for s in schedule if s[0] < a.blocks])
    now = head() - start
    if now < a.blocks:
        rpc("evm_mine", hex(a.blocks - now))
    settle()
    end = head()
    final = metrics(a.metrics)

    # Every keeper transaction in (start, end], from the blocks and receipts.
    blocks = rpc.batch([("eth_getBlockByNumber", (hex(n), True)) for n in range(start + 1, end + 1)])
    txs = [tx for block in blocks for tx in block["transactions"] if tx["from"].lower() == a.keeper.lower()]
    receipts = rpc.batch([("eth_getTransactionReceipt", (tx["hash"],)) for tx in txs])
    sales = sum(1 for block in blocks for tx in block["transactions"]
                if tx["from"].lower() == a.trader.lower() and tx["to"].lower() == a.pool.lower())
    pokes = corrections = reverts = other = gas = poke_gas = correction_gas = 0
    for tx, r in zip(txs, receipts):
        used = int(r["gasUsed"], 16)
        gas += used
        to = tx["to"].lower()
        if r["status"] != "0x1":
            reverts += 1
        elif to == a.flash_containment.lower():
            pokes += 1
            poke_gas += used
        elif to == a.stabilizer.lower():
            corrections += 1
            correction_gas += used
        else:
            other += 1
    span = end - start
    per_hour = gas * BLOCKS_PER_HOUR / span if span else 0
    lat_n = final.get("keeper_send_latency_seconds_count", 0)
    lat = final.get("keeper_send_latency_seconds_sum", 0) / lat_n * 1000 if lat_n else float("nan")
    print()
    print(f"blocks:                 {span} (blocks {start + 1}..{end}; {BLOCKS_PER_HOUR} is one hour of 250 ms blocks)")
    print(f"trades by the flow:     {sales} ({done} drawn, {sum(1 for s in schedule if s[3] and s[0] < a.blocks)} of them drains; "
          f"{late} sent late behind the keeper's blocks)")
    print(f"keeper pokes:           {pokes} ({poke_gas:,} gas)")
    print(f"corrections:            {corrections} ({correction_gas:,} gas)")
    print(f"reverts:                {reverts}" + (f" (other: {other})" if other else ""))
    print(f"total keeper gas:       {gas:,} over {len(txs)} transactions")
    print(f"gas per pool-hour:      {per_hour:,.0f} (one pool, scaled from {span} blocks to {BLOCKS_PER_HOUR})")
    print(f"simulator (baseline):   {a.sim_gas:,} per pool-hour (programs cached, 45 corrections and 90 pokes over 4 pools)")
    print(f"decision latency:       {lat:.1f} ms mean over {int(lat_n)} sends "
          f"(keeper_send_latency_seconds: block seen to transaction handed to the node)")
    print(f"wall time:              {time.monotonic() - started:.0f} s")
    if not txs:
        print("note: the keeper sent no transaction in these blocks (the flow never held the pool past its threshold)")


if __name__ == "__main__":
    main()
