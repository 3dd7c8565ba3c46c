"""A sealed file: bytes encrypted and authenticated for one reader, written and read as a stream.

Chosen: the `cryptography` library's primitives in age's layout, not `pyrage` (age itself). pyrage
installs cleanly, but it would be one more compiled dependency in the standalone app for what
`cryptography` (already installed, well kept, audited OpenSSL underneath) does in a few calls, and
age's passphrase work factor cannot be lowered for the tests. Nothing here is a home-made cipher:

- the file key comes from a passphrase through scrypt (N = 2**17, r = 8, p = 1 by default, a random
  16-byte salt per file), or from a therapist's X25519 public key (an ephemeral key pair per file,
  X25519 then HKDF-SHA256, as age and ECIES do);
- the payload is cut into 64 KiB chunks, each sealed with ChaCha20-Poly1305 under a nonce made of
  the chunk's number and a last-chunk flag (the STREAM construction age uses), with the whole
  header as associated data: a changed byte anywhere, a chunk moved, dropped or added, or a file cut
  short (its last chunk must carry the flag) fails authentication;
- the header holds the format, the way the key is made and its public parameters: nothing about
  what is inside.

Layout: MAGIC, a version byte, a mode byte, then for a passphrase salt(16) + log2(N) + r + p, for a
public key the ephemeral public key(32) + salt(16); then the chunks, each 16 bytes longer than its
plaintext.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"SYNKSEAL"
VERSION = 1
MODE_PASSPHRASE = 1
MODE_PUBLIC_KEY = 2
CHUNK_BYTES = 64 * 1024
TAG_BYTES = 16
SALT_BYTES = 16
# scrypt's cost: 2**17 x 8 x 128 bytes = 128 MiB and about half a second, OWASP's recommendation.
SCRYPT_LOG_N = 17
SCRYPT_R = 8
SCRYPT_P = 1
# What a file may ask of the reader's memory: above this a file is refused rather than obeyed.
MAX_SCRYPT_LOG_N = 20
_HKDF_INFO = b"synkimeter sealed file v1"


class SealedError(Exception):
    """The sealed file cannot be opened; str() is one plain sentence."""


def _scrypt(passphrase: str, salt: bytes, log_n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=2**log_n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _hkdf(shared: bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_HKDF_INFO).derive(shared)


def _raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _nonce(counter: int, last: bool) -> bytes:
    return struct.pack(">QI", counter >> 32, counter & 0xFFFFFFFF)[1:] + (b"\x01" if last else b"\x00")


# --- keys ----------------------------------------------------------------------------------------
def write_key_pair(private_path: str | os.PathLike) -> Path:
    """A new X25519 key pair: the private key at `private_path` (PEM, owner-only) and the public one
    beside it with `.pub` added (PEM, to give to whoever sends files). Returns the public key's path."""
    key = X25519PrivateKey.generate()
    private_path = Path(private_path)
    public_path = private_path.with_name(private_path.name + ".pub")
    for path in (private_path, public_path):
        if path.exists():
            raise SealedError(f"'{path}' already exists; choose another name (a key is never overwritten).")
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    public_path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo))
    return public_path


def read_public_key(path: str | os.PathLike) -> X25519PublicKey:
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise SealedError(f"'{path}' is not a readable public key (make one with `synkimeter keygen`).") from exc
    if not isinstance(key, X25519PublicKey):
        raise SealedError(f"'{path}' is not an X25519 public key (make one with `synkimeter keygen`).")
    return key


def read_private_key(path: str | os.PathLike) -> X25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SealedError(f"'{path}' is not a readable private key (made by `synkimeter keygen`).") from exc
    if not isinstance(key, X25519PrivateKey):
        raise SealedError(f"'{path}' is not an X25519 private key (made by `synkimeter keygen`).")
    return key


# --- writing -------------------------------------------------------------------------------------
class SealedWriter:
    """A binary file-like object: what is written to it lands in `out` sealed. close() writes the last
    chunk (the file is incomplete, and unreadable, without it); it does not close `out`."""

    def __init__(self, out: IO[bytes], *, passphrase: str | None = None, recipient: X25519PublicKey | None = None,
                 scrypt_log_n: int = SCRYPT_LOG_N) -> None:
        if (passphrase is None) == (recipient is None):
            raise ValueError("seal with a passphrase or a public key, one of the two")
        salt = os.urandom(SALT_BYTES)
        if passphrase is not None:
            header = MAGIC + bytes([VERSION, MODE_PASSPHRASE]) + salt + bytes([scrypt_log_n, SCRYPT_R, SCRYPT_P])
            key = _scrypt(passphrase, salt, scrypt_log_n, SCRYPT_R, SCRYPT_P)
        else:
            assert recipient is not None
            ephemeral = X25519PrivateKey.generate()
            shared = ephemeral.exchange(recipient)
            header = MAGIC + bytes([VERSION, MODE_PUBLIC_KEY]) + _raw_public(ephemeral.public_key()) + salt
            key = _hkdf(shared, salt + _raw_public(recipient))
        self._aead = ChaCha20Poly1305(key)
        self._header = header
        self._out = out
        self._buffer = bytearray()
        self._counter = 0
        self.closed = False
        out.write(header)

    def _seal(self, data: bytes, last: bool) -> None:
        self._out.write(self._aead.encrypt(_nonce(self._counter, last), data, self._header))
        self._counter += 1

    def write(self, data) -> int:
        self._buffer += data
        # A full chunk is sealed only when more follows: the last one, full or not, carries the flag.
        while len(self._buffer) > CHUNK_BYTES:
            self._seal(bytes(self._buffer[:CHUNK_BYTES]), False)
            del self._buffer[:CHUNK_BYTES]
        return len(data)

    def flush(self) -> None:
        self._out.flush()

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self._buffer), True)
            self._buffer.clear()
            self.closed = True


# --- reading -------------------------------------------------------------------------------------
class SealedReader:
    """A binary file-like object reading the plaintext of a sealed file from `source`, chunk by chunk,
    each authenticated before a byte of it is given out. SealedError (one sentence) on a wrong
    passphrase or key, a damaged, changed or cut-short file; reading to the end confirms the last chunk."""

    def __init__(self, source: IO[bytes], *, passphrase: str | None = None,
                 identity: X25519PrivateKey | None = None, name: str = "the file") -> None:
        self._name = name
        head = source.read(len(MAGIC) + 2)
        if len(head) < len(MAGIC) + 2 or head[:len(MAGIC)] != MAGIC:
            raise SealedError(f"{name} is not a synkimeter patient's file (or its beginning is damaged).")
        version, mode = head[len(MAGIC)], head[len(MAGIC) + 1]
        if version != VERSION:
            raise SealedError(f"{name} was written by a newer synkimeter (format {version}); please update.")
        if mode == MODE_PASSPHRASE:
            rest = source.read(SALT_BYTES + 3)
            if len(rest) < SALT_BYTES + 3:
                raise SealedError(f"{name} is cut short: take it again from the sender.")
            salt, (log_n, r, p) = rest[:SALT_BYTES], rest[SALT_BYTES:]
            if passphrase is None:
                raise SealedError(f"{name} is locked with a passphrase: give it (--passphrase-file, or type it).")
            if not (10 <= log_n <= MAX_SCRYPT_LOG_N and 1 <= r <= 16 and 1 <= p <= 4):
                raise SealedError(f"{name} asks for an unusual key strength and is refused as damaged.")
            key = _scrypt(passphrase, salt, log_n, r, p)
        elif mode == MODE_PUBLIC_KEY:
            rest = source.read(32 + SALT_BYTES)
            if len(rest) < 32 + SALT_BYTES:
                raise SealedError(f"{name} is cut short: take it again from the sender.")
            if identity is None:
                raise SealedError(f"{name} is locked for a therapist's key: give the private key (--identity).")
            try:
                shared = identity.exchange(X25519PublicKey.from_public_bytes(rest[:32]))
            except ValueError as exc:
                raise SealedError(f"{name} is damaged (its key exchange fails).") from exc
            key = _hkdf(shared, rest[32:] + _raw_public(identity.public_key()))
        else:
            raise SealedError(f"{name} is not a synkimeter patient's file (or its beginning is damaged).")
        self._header = head + rest
        self._aead = ChaCha20Poly1305(key)
        self._source = source
        self._counter = 0
        self._plain = b""
        self._pending = source.read(CHUNK_BYTES + TAG_BYTES)
        self.finished = False

    def _next_chunk(self) -> bytes:
        current = self._pending
        self._pending = self._source.read(CHUNK_BYTES + TAG_BYTES) if current else b""
        last = not self._pending
        if len(current) < TAG_BYTES:
            raise SealedError(f"{self._name} is cut short or damaged: take it again from the sender.")
        try:
            plain = self._aead.decrypt(_nonce(self._counter, last), current, self._header)
        except InvalidTag as exc:
            if self._counter == 0:
                raise SealedError(f"{self._name} cannot be opened: the passphrase or key is wrong, or the file "
                                  "is damaged.") from exc
            raise SealedError(f"{self._name} is damaged, changed or cut short (part {self._counter + 1} fails its "
                              "check): take it again from the sender.") from exc
        self._counter += 1
        if last:
            self.finished = True
        return plain

    def read(self, size: int = -1) -> bytes:
        while not self.finished and (size < 0 or len(self._plain) < size):
            self._plain += self._next_chunk()
        if size < 0:
            size = len(self._plain)
        out, self._plain = self._plain[:size], self._plain[size:]
        return out

    def read_to_end(self) -> None:
        """Authenticate what is left (a stream reader may stop before the end): the file is whole only then."""
        while not self.finished:
            self._next_chunk()
        if self._plain.strip(b"\0"):
            raise SealedError(f"{self._name} holds more than it should and is refused as changed.")


__all__ = ["SealedError", "SealedReader", "SealedWriter", "read_private_key", "read_public_key", "write_key_pair",
           "SCRYPT_LOG_N"]
