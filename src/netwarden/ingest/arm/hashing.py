"""``uniqueString()`` and ``guid()`` as Azure Resource Manager computes them, so that
names built from them match what a deployment of the template creates.

* ``uniqueString(a, b, ...)``: the arguments joined with ``-``, UTF-8, hashed with the
  64-bit Murmur variant of ARM's expression engine, the top 65 bits written as 13
  characters of lower-case RFC 4648 base32.
* ``guid(a, b, ...)``: an RFC 4122 version 5 (SHA-1, name-based) UUID of the arguments
  joined with ``-`` in ARM's namespace ``11fb06fb-712d-4ddd-98c7-e71bbd588830``.
"""

from __future__ import annotations

import uuid

_M32 = 0xFFFFFFFF
_C1, _C2 = 0xAB0E9789, 0x239B961B          # 2869860233, 597399067
_F1, _F2 = 0x85EBCA6B, 0xC2B2AE35
_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
ARM_NAMESPACE = uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830")


def _rotl(value: int, bits: int) -> int:
    return ((value << bits) | (value >> (32 - bits))) & _M32


def _word(data: bytes, start: int, count: int) -> int:
    return int.from_bytes(data[start:start + count], "little")


def _mix(h: int) -> int:
    h = ((h ^ (h >> 16)) * _F1) & _M32
    h = ((h ^ (h >> 13)) * _F2) & _M32
    return h ^ (h >> 16)


def murmur64(data: bytes) -> int:
    h1 = h2 = 0
    length = len(data)
    at = 0
    while at + 8 <= length:
        k1 = _rotl((_word(data, at, 4) * _C2) & _M32, 15) * _C1 & _M32
        k2 = _rotl((_word(data, at + 4, 4) * _C1) & _M32, 17) * _C2 & _M32
        h1 = (_rotl(h1 ^ k1, 19) + h2) & _M32
        h1 = (h1 * 5 + 0x561CCD1B) & _M32
        h2 = (_rotl(h2 ^ k2, 13) + h1) & _M32
        h2 = (h2 * 5 + 0x0BCAA747) & _M32
        at += 8
    tail = length - at
    if tail:
        k1 = _rotl((_word(data, at, min(tail, 4)) * _C2) & _M32, 15) * _C1 & _M32
        h1 ^= k1
        if tail > 4:
            k2 = _rotl((_word(data, at + 4, tail - 4) * _C1) & _M32, 17) * _C2 & _M32
            h2 ^= k2
    h1 ^= length
    h2 ^= length
    h1 = (h1 + h2) & _M32
    h2 = (h2 + h1) & _M32
    h1, h2 = _mix(h1), _mix(h2)
    h1 = (h1 + h2) & _M32
    h2 = (h2 + h1) & _M32
    return (h2 << 32) | h1


def unique_string(*parts: str) -> str:
    value = murmur64("-".join(parts).encode("utf-8"))
    letters = []
    for _ in range(13):
        letters.append(_ALPHABET[value >> 59])
        value = (value << 5) & 0xFFFFFFFFFFFFFFFF
    return "".join(letters)


def arm_guid(*parts: str) -> str:
    return str(uuid.uuid5(ARM_NAMESPACE, "-".join(parts)))
