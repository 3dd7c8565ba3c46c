"""A patient's record as one protected file (issue 31): sent from home, taken in at the clinic.

The file is a tar stream (standard library, no pickle) sealed by `synkimeter.io.sealed` (a passphrase
through scrypt, or a therapist's X25519 public key; ChaCha20-Poly1305 in authenticated chunks, so a
long video streams through without being held in memory). Inside, in this order:

    record.json            the patient and their rows, table by table (synkimeter.store.exchange)
    files/<clip>.<kind>.*  each clip's landmarks, result summary and (unless left out) video
    manifest.json          the format and its version, and the sha256 and size of every other member

Taking a file in reads and authenticates all of it into a private temporary folder and checks every
member against the manifest before anything is written to the store; then the store writes it in one
transaction, adding only what it does not hold yet.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from synkimeter.io.files import atomic_writer
from synkimeter.io.sealed import (
    SCRYPT_LOG_N,
    SealedError,
    SealedReader,
    SealedWriter,
    read_private_key,
    read_public_key,
)
from synkimeter.store.database import Store
from synkimeter.store.exchange import TakenIn, file_member, read_record, write_record
from synkimeter.store.records import StoreError, check_day, now_iso

FORMAT = "synkimeter patient file"
FORMAT_VERSION = 1
RECORD_MEMBER = "record.json"
MANIFEST_MEMBER = "manifest.json"
MIN_PASSPHRASE_CHARS = 8
_MEMBER_NAME = re.compile(r"^(record\.json|manifest\.json"
                          r"|files/[A-Za-z0-9-]+\.(video|landmarks|summary)\.[A-Za-z0-9]{1,8})$")


class ShareError(Exception):
    """Sharing or taking in failed; str() is one plain sentence, and nothing was written."""


@dataclass(frozen=True)
class Lock:
    """How the file is locked: a passphrase, or a therapist's public key file (to send) / private key
    file (to take in). `scrypt_log_n` is the passphrase's work factor (lowered by the tests only)."""

    passphrase: str | None = None
    key_file: Path | None = None
    scrypt_log_n: int = SCRYPT_LOG_N


@dataclass
class ShareReport:
    path: Path
    counts: dict[str, int] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0


def check_passphrase(passphrase: str) -> str:
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        raise ShareError(f"The passphrase is too short: use at least {MIN_PASSPHRASE_CHARS} characters "
                         "(a few words are easiest to remember).")
    return passphrase


class _Hashing:
    """Reads through a stream, hashing what passes."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream, self.digest = stream, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.digest.update(data)
        return data


def _add(tar: tarfile.TarFile, name: str, stream: IO[bytes], size: int, manifest: dict) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, 0
    hashing = _Hashing(stream)
    tar.addfile(info, hashing)  # tarfile reads exactly `size` bytes
    manifest[name] = {"sha256": hashing.digest.hexdigest(), "size": size}


def share_patient(store: Store, pseudonym: str, to: str | os.PathLike, lock: Lock, *, since: str | None = None,
                  with_video: bool = True) -> ShareReport:
    """Write the patient's record to `to` as one protected file (owner-only, written whole or not at all)."""
    patient = store.require_patient(pseudonym)
    if since is not None:
        since = check_day(since, "a date to share from")
    if lock.passphrase is not None:
        check_passphrase(lock.passphrase)
        seal: dict[str, Any] = {"passphrase": lock.passphrase, "scrypt_log_n": lock.scrypt_log_n}
    elif lock.key_file is not None:
        try:
            seal = {"recipient": read_public_key(lock.key_file)}
        except SealedError as exc:
            raise ShareError(str(exc)) from exc
    else:
        raise ShareError("Give a passphrase or the therapist's public key to lock the file with.")
    data, files = read_record(store, patient, since=since, with_video=with_video)
    report = ShareReport(Path(to), {name: len(rows) for name, rows in data["tables"].items()})
    members: dict[str, dict] = {}
    target = Path(to)
    try:
        with atomic_writer(target, "wb") as out:
            sealed = SealedWriter(out, **seal)
            with tarfile.open(fileobj=sealed, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
                text = json.dumps(data, allow_nan=False, sort_keys=True).encode("utf-8")
                _add(tar, RECORD_MEMBER, io.BytesIO(text), len(text), members)
                for shared in files:
                    stream, size = shared.open()
                    with stream:
                        _add(tar, file_member(shared.clip_origin, shared.kind, shared.suffix), stream, size, members)
                    report.files += 1
                manifest = {"format": FORMAT, "version": FORMAT_VERSION, "created": now_iso(), "members": members}
                text = json.dumps(manifest, sort_keys=True, indent=1).encode("utf-8")
                _add(tar, MANIFEST_MEMBER, io.BytesIO(text), len(text), {})
            sealed.close()
    except OSError as exc:
        raise ShareError(f"The file '{target}' could not be written ({exc.strerror or exc}).") from exc
    report.bytes = target.stat().st_size
    store.record_access("export", patient, f"shared as one protected file ({report.files} clip files)")
    return report


def _unpack(path: Path, lock: Lock, folder: Path) -> tuple[dict, dict[str, Path]]:
    """Read, authenticate and check the whole file into `folder`: (record, member name -> path)."""
    name = f"The file '{path}'"
    kwargs: dict[str, Any] = {"name": name}
    got: dict[str, tuple[Path, str, int]] = {}
    try:
        if lock.key_file is not None:
            kwargs["identity"] = read_private_key(lock.key_file)
        else:
            kwargs["passphrase"] = lock.passphrase
        with open(path, "rb") as fh:
            reader = SealedReader(fh, **kwargs)
            with tarfile.open(fileobj=reader, mode="r|") as tar:  # type: ignore[call-overload]
                for number, member in enumerate(tar):
                    if not member.isfile() or not _MEMBER_NAME.match(member.name) or member.name in got:
                        raise ShareError(f"{name} holds something a patient's file does not and is refused.")
                    source = tar.extractfile(member)
                    assert source is not None
                    target = folder / f"{number:06d}{Path(member.name).suffix}"
                    digest = hashlib.sha256()
                    size = 0
                    with open(target, "wb") as out:
                        for block in iter(lambda: source.read(1 << 20), b""):  # noqa: B023 - used at once
                            digest.update(block)
                            out.write(block)
                            size += len(block)
                    got[member.name] = (target, digest.hexdigest(), size)
            reader.read_to_end()
    except SealedError as exc:
        raise ShareError(str(exc)) from exc
    except OSError as exc:
        raise ShareError(f"{name} cannot be read ({exc.strerror or exc}).") from exc
    except (tarfile.TarError, EOFError) as exc:
        raise ShareError(f"{name} is damaged: take it again from the sender.") from exc
    try:
        manifest = json.loads(got.pop(MANIFEST_MEMBER)[0].read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            raise ValueError("not ours")
    except (KeyError, ValueError, UnicodeDecodeError, AttributeError) as exc:
        raise ShareError(f"{name} has no sound manifest and is refused as damaged.") from exc
    if int(manifest.get("version", 0)) > FORMAT_VERSION:
        raise ShareError(f"{name} was written by a newer synkimeter (format {manifest.get('version')}); please update.")
    listed = manifest.get("members") or {}
    if set(listed) != set(got) or any(listed[m].get("sha256") != got[m][1] or listed[m].get("size") != got[m][2]
                                      for m in got):
        raise ShareError(f"{name} does not match its manifest (a member is missing, added or changed); nothing was "
                         "taken in.")
    try:
        data = json.loads(got[RECORD_MEMBER][0].read_text(encoding="utf-8"))
        if not isinstance(data.get("patient"), dict) or not isinstance(data.get("tables"), dict):
            raise ValueError("no record")
    except (KeyError, ValueError, UnicodeDecodeError, AttributeError) as exc:
        raise ShareError(f"{name} holds no patient's record and is refused as damaged.") from exc
    return data, {m: p for m, (p, _sha, _size) in got.items()}


TABLE_WORDS = {"sessions": "session", "clips": "clip", "results": "result", "practice_sets": "practice set",
               "notes": "note", "treatment_events": "treatment event", "saq_answers": "questionnaire",
               "programmes": "home programme"}


def added_words(taken: TakenIn) -> str:
    """What taking a file in added, in words ("3 sessions, 12 clips, ..." or "nothing new")."""
    parts = [f"{n} {TABLE_WORDS.get(name, name.replace('_', ' '))}{'' if n == 1 else 's'}"
             for name, n in taken.added.items() if n]
    return ", ".join(parts) or "nothing new"


def receive_file(store: Store, path: str | os.PathLike, lock: Lock, *, as_code: str | None = None) -> TakenIn:
    """Take a patient's file into `store`: checked whole first, then written in one transaction, adding
    only what is new. ShareError or StoreError (one sentence) when refused; then nothing was written."""
    path = Path(path)
    if not path.is_file():
        raise ShareError(f"The file '{path}' does not exist.")
    with tempfile.TemporaryDirectory(prefix="synkimeter-receive-") as tmp:
        data, members = _unpack(path, lock, Path(tmp))

        def file_path(clip_origin: str, kind: str) -> Path:
            for member, kept in members.items():
                if member.startswith(file_member(clip_origin, kind, ".")):
                    return kept
            raise StoreError(f"The file '{path}' lacks the {kind} of a clip it lists and is refused as damaged.")

        try:
            return write_record(store, data, file_path, as_code=as_code, detail=f"taken in from '{path.name}'")
        except (KeyError, TypeError, AttributeError) as exc:
            raise ShareError(f"The file '{path}' holds a record this synkimeter cannot read; nothing was taken "
                             "in.") from exc


__all__ = ["FORMAT_VERSION", "Lock", "SealedError", "ShareError", "ShareReport", "added_words", "check_passphrase",
           "receive_file", "share_patient"]
