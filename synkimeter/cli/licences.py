"""`synkimeter --licences`: the licences of the third-party software synkimeter runs with.

One function gathers them (`gather`): from each distribution's own metadata (its licence field and the
LICENSE/LICENCE/COPYING/NOTICE files it installs, such as OpenCV's LICENSE-3RD-PARTY.txt, which
carries FFmpeg's LGPL notice), plus the full text of a licence a distribution names but does not ship
(PySide6 and its Qt: the LGPL-3.0 with the GPL-3.0 it builds on, kept in synkimeter/data/licences/),
plus Python's own. Run by Python, the command gathers them live from the installed distributions that
synkimeter needs; the standalone app's build (packaging/synkimeter.spec) gathers those of the
distributions it bundles into THIRD_PARTY_LICENSES.txt inside the app, which the frozen command prints.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata as metadata
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from synkimeter import __version__

COLLECTED_NAME = "THIRD_PARTY_LICENSES.txt"  # beside the app's data (synkimeter/data/), made at build
_LICENCE_FILE = re.compile(r"^(LICEN[CS]E|COPYING|NOTICE)", re.IGNORECASE)
# A licence a distribution names in its metadata without shipping its text: the texts kept here.
STANDARD_TEXTS = {"LGPL-3.0": ("LGPL-3.0.txt", "GPL-3.0.txt")}
# What a distribution's name alone does not say (the libraries inside its wheel).
INSIDE = {
    "pyside6-essentials": "Qt for Python and the Qt 6 libraries (The Qt Company), under the LGPL-3.0",
    "shiboken6": "Qt for Python's binding generator runtime (The Qt Company), under the LGPL-3.0",
    "opencv-contrib-python": "OpenCV (Apache-2.0) with FFmpeg (LGPL-2.1) and the other libraries its "
                             "LICENSE-3RD-PARTY.txt lists",
    "mediapipe": "Google's MediaPipe with its face mesh models (Apache-2.0)",
}


@dataclass
class Notice:
    """One distribution's licence: its name, version, what its metadata calls the licence, and texts."""

    name: str
    version: str
    licence: str
    texts: list[tuple[str, str]] = field(default_factory=list)  # (file name, text)


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _licence_name(dist: metadata.Distribution) -> str:
    meta = dist.metadata

    def first(key: str) -> str:  # a missing field is None in Python 3.11, a KeyError in later ones
        values = meta.get_all(key) or []
        return str(values[0]) if values else ""

    expression = first("License-Expression")
    if expression:
        return expression.strip()
    field_ = first("License").strip()
    if field_ and "\n" not in field_ and len(field_) <= 80:
        return field_
    classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    return "; ".join(classifiers) or (field_.splitlines()[0][:80] if field_ else "see its licence text")


def requirement_closure(root: str = "synkimeter") -> list[str]:
    """The installed distributions `root` needs to run (its requirements without extras, and theirs)."""
    seen: dict[str, str] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        key = _key(dist.metadata["Name"])
        if key in seen:
            continue
        seen[key] = dist.metadata["Name"]
        for requirement in dist.requires or []:
            if "extra ==" in requirement.replace("extra==", "extra =="):
                continue
            match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
            if match:
                todo.append(match.group(1))
    return sorted((n for k, n in seen.items() if k != _key(root)), key=str.lower)


def distributions_of_modules(top_level: Iterable[str]) -> list[str]:
    """The distributions that installed these top-level modules or packages (for the app's build)."""
    owners = metadata.packages_distributions()
    names = {dist for module in top_level for dist in owners.get(module, [])}
    return sorted(names - {"synkimeter"}, key=str.lower)


def _standard_text(name: str) -> str:
    try:
        return resources.files("synkimeter.data").joinpath("licences").joinpath(name).read_text(encoding="utf-8")
    except OSError:  # an install that left synkimeter's data out
        return f"(synkimeter's copy of {name} is missing from this installation: see https://www.gnu.org/licenses/)"


def notice(name: str) -> Notice | None:
    """One installed distribution's licence and texts (None when it is not installed)."""
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None
    found = Notice(dist.metadata["Name"], dist.version, _licence_name(dist))
    seen: set[str] = set()
    for file in dist.files or []:
        if not _LICENCE_FILE.match(Path(str(file)).name) or str(file).endswith((".py", ".pyc")):
            continue
        try:
            text = Path(str(file.locate())).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if digest not in seen:  # the same text installed twice (cv2/ and the dist-info)
            seen.add(digest)
            found.texts.append((str(file), text))
    for spdx, files in STANDARD_TEXTS.items():
        if spdx in found.licence and not any(spdx.split("-")[0] in text[:2000] for _, text in found.texts):
            found.texts += [(f"{file} (the licence its metadata names)", _standard_text(file)) for file in files]
    return found


def _python_notice() -> Notice:
    version = ".".join(map(str, sys.version_info[:3]))
    found = Notice("Python", version, "PSF-2.0")
    for base in (sys.base_prefix, sys.prefix):
        for path in sorted(Path(base, "lib").glob("python3*/LICENSE.txt")):
            found.texts.append((path.name, path.read_text(encoding="utf-8", errors="replace")))
            return found
    return found


def gather(distributions: Iterable[str] | None = None) -> str:
    """The licences as one text: a list, then each distribution's texts. `distributions`: by name
    (default: what synkimeter needs to run, as installed)."""
    names = list(distributions) if distributions is not None else requirement_closure()
    notices = [n for n in (notice(name) for name in names) if n is not None]
    notices.sort(key=lambda n: n.name.lower())
    notices.append(_python_notice())
    lines = [f"synkimeter {__version__} runs with the third-party software below, each under its own licence.",
             "The list first, then each licence's full text as its distribution ships it.", ""]
    for n in notices:
        inside = INSIDE.get(_key(n.name))
        lines.append(f"  {n.name} {n.version}: {n.licence}" + (f" ({inside})" if inside else ""))
    printed: dict[str, str] = {}  # sha256 of a text -> under whom it was printed
    for n in notices:
        lines += ["", "=" * 78, f"{n.name} {n.version}: {n.licence}", "=" * 78]
        if not n.texts:
            lines.append("(its distribution ships no licence file; its metadata names the licence above)")
        for file, text in n.texts:
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            if digest in printed:
                lines.append(f"--- {file}: the same text as under {printed[digest]} above ---")
                continue
            printed[digest] = n.name
            lines += [f"--- {file} ---", text.rstrip(), ""]
    return "\n".join(lines) + "\n"


def collected_path():
    """Where the app's build puts the licences it collected (inside the app's synkimeter/data/)."""
    return resources.files("synkimeter.data").joinpath(COLLECTED_NAME)


def collected_text() -> str | None:
    """The licences the app's build collected (None outside the standalone app, or when missing)."""
    if not getattr(sys, "frozen", False):
        return None
    path = collected_path()
    return path.read_text(encoding="utf-8") if path.is_file() else None


def licences_text() -> str:
    """What `synkimeter --licences` prints: the collected file in the app, else gathered live."""
    collected = collected_text()
    return collected if collected is not None else gather()


class LicencesAction(argparse.Action):
    """`--licences`: print them and exit 0 (like --version)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        try:
            sys.stdout.write(licences_text())
            sys.stdout.flush()
        except BrokenPipeError:  # `synkimeter --licences | head`
            pass
        parser.exit(0)


def add_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--licences", "--licenses", action=LicencesAction,
                        help="print the licences of the third-party software synkimeter runs with and exit")


__all__ = ["COLLECTED_NAME", "Notice", "add_option", "distributions_of_modules", "gather", "licences_text",
           "notice", "requirement_closure"]
