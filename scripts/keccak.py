"""Keccak-256 as Ethereum uses it, for scripts that need code hashes and role ids without extra packages."""

def keccak256(data: bytes) -> bytes:
    """Keccak-256 (the pre-standard padding Ethereum uses), FIPS 202's
    Keccak-f[1600] permutation with rate 136 bytes."""
    mask = (1 << 64) - 1
    rotations = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61], [28, 55, 25, 21, 56], [27, 20, 39, 8, 14]]
    constants, lfsr = [], 1
    for _ in range(24):
        value = 0
        for bit in range(7):
            if lfsr & 1:
                value |= 1 << ((1 << bit) - 1)
            lfsr = ((lfsr << 1) ^ (0x71 if lfsr & 0x80 else 0)) & 0xFF
        constants.append(value)

    def rotl(x, n):
        return ((x << n) | (x >> (64 - n))) & mask if n else x

    def permute(a):
        for rc in constants:
            c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
            d = [c[(x - 1) % 5] ^ rotl(c[(x + 1) % 5], 1) for x in range(5)]
            a = [[a[x][y] ^ d[x] for y in range(5)] for x in range(5)]
            b = [[0] * 5 for _ in range(5)]
            for x in range(5):
                for y in range(5):
                    b[y][(2 * x + 3 * y) % 5] = rotl(a[x][y], rotations[x][y])
            a = [[b[x][y] ^ (~b[(x + 1) % 5][y] & b[(x + 2) % 5][y]) for y in range(5)] for x in range(5)]
            a[0][0] ^= rc
        return a

    rate = 136
    padded = bytearray(data) + b"\x01"
    padded += b"\x00" * (-len(padded) % rate)
    padded[-1] |= 0x80
    state = [[0] * 5 for _ in range(5)]
    for offset in range(0, len(padded), rate):
        block = padded[offset:offset + rate]
        for i in range(rate // 8):
            x, y = i % 5, i // 5
            state[x][y] ^= int.from_bytes(block[8 * i:8 * i + 8], "little")
        state = permute(state)
    out = b"".join(state[i % 5][i // 5].to_bytes(8, "little") for i in range(4))
    return out

if __name__ == "__main__":  # self-check
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470", keccak256(b"").hex()
    assert keccak256(b"transfer(address,uint256)")[:4].hex() == "a9059cbb"
    assert keccak256(b"a" * 300).hex() == keccak256(b"a" * 300).hex()
    print("ok")
