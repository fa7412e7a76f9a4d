"""Sealed ballots: the cryptography, and nothing else (no database, no Django).

A round's key pair is made when the round opens. The public key goes into the round's policy
snapshot; every phone ballot is padded to the round's fixed size and encrypted to it with a
libsodium sealed box (X25519 + XSalsa20-Poly1305, PyNaCl) before it reaches the database. The
private key is never stored: it is split at once into ``n`` Shamir shares of which any ``k``
rebuild it (PyCryptodome's ``Shamir``, which works on 16-byte secrets, so each half of the
32-byte key is split on its own with the same share numbers), one share per vote supervisor
(监票人), handed out as text once. At counting, ``k`` supervisors type their shares; the key is
rebuilt in memory, checked against the public key, used, and dropped.

A share as text is 64 characters of base32 (RFC 4648 alphabet), shown in groups of four:
version, share number, the first four bytes of the round's public key (so a share of another
round is recognised), the two 16-byte halves, and a two-byte checksum (so a typing mistake is
recognised before any arithmetic). See docs/decisions/0004-ballot-anonymity.md.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from dataclasses import dataclass
from typing import Any

from Crypto.Protocol.SecretSharing import Shamir
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

VERSION = 1
KEY_BYTES = 32
HALF = 16
FINGERPRINT = 4
CHECKSUM = 2
SHARE_BYTES = 2 + FINGERPRINT + KEY_BYTES + CHECKSUM  # 40 bytes = 64 base32 characters
MAX_SUPERVISORS = 9
LENGTH = struct.Struct(">I")
# What sealing adds to the padded plaintext: an ephemeral public key and a MAC.
BOX_OVERHEAD = 48


_LOOKALIKES = str.maketrans("018", "OIB")


class ShareError(ValueError):
    """A share that cannot be used; ``message`` is the Chinese text for the supervisor."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Share:
    """One supervisor's share: its number (1..n), the fingerprint of the round's public key
    and the two 16-byte halves of the Shamir share."""

    number: int
    fingerprint: bytes
    secret: bytes

    @property
    def text(self) -> str:
        """The share as a supervisor copies it: 16 groups of four characters."""
        body = bytes([VERSION, self.number]) + self.fingerprint + self.secret
        raw = body + hashlib.sha256(body).digest()[:CHECKSUM]
        encoded = base64.b32encode(raw).decode()
        return " ".join(encoded[i : i + 4] for i in range(0, len(encoded), 4))


@dataclass(frozen=True)
class RoundKeys:
    """A fresh key pair, as the opening of a round sees it: the public key and the shares."""

    public_key: bytes
    shares: list[Share]


def fingerprint(public_key: bytes) -> bytes:
    return hashlib.sha256(public_key).digest()[:FINGERPRINT]


def generate(*, n: int, k: int) -> RoundKeys:
    """A new key pair split into ``n`` shares of which any ``k`` rebuild the private key."""
    if not 1 <= k <= n <= MAX_SUPERVISORS:
        raise ValueError("1 <= k <= n <= 9")
    private = PrivateKey.generate()
    secret = bytes(private)
    public = bytes(private.public_key)
    if k == 1:
        # A polynomial of degree 0: every share is the key itself (the single-supervisor mode).
        halves = [
            [(i, secret[:HALF]) for i in range(1, n + 1)],
            [(i, secret[HALF:]) for i in range(1, n + 1)],
        ]
    else:
        halves = [Shamir.split(k, n, secret[:HALF]), Shamir.split(k, n, secret[HALF:])]
    mark = fingerprint(public)
    shares = [
        Share(number=int(a[0]), fingerprint=mark, secret=bytes(a[1]) + bytes(b[1]))
        for a, b in zip(halves[0], halves[1], strict=True)
    ]
    del private, secret
    return RoundKeys(public_key=public, shares=shares)


def parse_share(text: str) -> Share:
    """A share from what a supervisor typed (case, spaces and dashes do not matter)."""
    # Base32 has no 0, 1 or 8: read them as the letters they are mistaken for.
    cleaned = "".join(ch for ch in str(text or "").upper() if ch.isalnum()).translate(_LOOKALIKES)
    if len(cleaned) != SHARE_BYTES * 8 // 5:
        raise ShareError("份额长度不对，应为 64 个字母或数字，请核对。")
    try:
        raw = base64.b32decode(cleaned)
    except (ValueError, TypeError):
        raise ShareError("份额中有无效字符，请核对。") from None
    body, check = raw[:-CHECKSUM], raw[-CHECKSUM:]
    if hashlib.sha256(body).digest()[:CHECKSUM] != check:
        raise ShareError("份额校验不通过，可能抄录有误，请核对。")
    if body[0] != VERSION or not 1 <= body[1] <= MAX_SUPERVISORS:
        raise ShareError("份额格式无法识别。")
    mark, secret = body[2 : 2 + FINGERPRINT], body[2 + FINGERPRINT :]
    return Share(number=body[1], fingerprint=mark, secret=secret)


def combine(shares: list[Share], *, public_key: bytes, k: int) -> PrivateKey:
    """The private key rebuilt from ``k`` shares of the round whose public key is given.

    Raises :class:`ShareError` for too few shares, a share of another round, one number given
    twice, or shares that do not rebuild this round's key (one of them mistyped in a way the
    checksum missed, or forged)."""
    mark = fingerprint(public_key)
    if any(s.fingerprint != mark for s in shares):
        raise ShareError("有份额不属于本轮投票。")
    numbers = [s.number for s in shares]
    if len(set(numbers)) != len(numbers):
        raise ShareError("同一份额重复输入。")
    if len(shares) < k:
        raise ShareError(f"需要至少 {k} 名监票人的份额，现有 {len(shares)} 份。")
    used = shares[:k]
    if k == 1:
        secret = used[0].secret
    else:
        first = Shamir.combine([(s.number, s.secret[:HALF]) for s in used])
        second = Shamir.combine([(s.number, s.secret[HALF:]) for s in used])
        secret = first + second
    private = PrivateKey(secret)
    if bytes(private.public_key) != public_key:
        raise ShareError("份额无法还原本轮密钥，请核对各监票人的份额。")
    return private


def sealed_size(capacity: int) -> int:
    """The padded plaintext size for a round whose largest ballot is ``capacity`` bytes:
    the length prefix plus the capacity, rounded up to 256 bytes."""
    return -(-(LENGTH.size + capacity) // 256) * 256


def seal(public_key: bytes, payload: bytes, size: int) -> bytes:
    """``payload`` padded to ``size`` bytes and sealed to ``public_key``. Every box of a round
    has the same length, whatever it holds."""
    if LENGTH.size + len(payload) > size:
        raise ValueError("payload larger than the round's sealed size")
    padded = LENGTH.pack(len(payload)) + payload + bytes(size - LENGTH.size - len(payload))
    return bytes(SealedBox(PublicKey(public_key)).encrypt(padded))


def opener(private_key: PrivateKey) -> SealedBox:
    return SealedBox(private_key)


def unseal(box: SealedBox, sealed: bytes) -> bytes:
    """The payload of one sealed ballot (raises ``ValueError`` for a box that is not one)."""
    try:
        padded = box.decrypt(bytes(sealed))
    except CryptoError:
        raise ValueError("not a ballot of this round") from None
    (length,) = LENGTH.unpack_from(padded)
    return padded[LENGTH.size : LENGTH.size + length]


def payload(ratings: dict[str, str], items: dict[str, dict[str, str]], comments: dict) -> bytes:
    """A ballot's contents as the bytes that are sealed."""
    body: dict[str, Any] = {"r": ratings, "i": items}
    if comments:
        body["c"] = comments
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
