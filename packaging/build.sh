#!/usr/bin/env bash
# Build the standalone synkimeter app (one folder, no Python needed) and its archive.
#
#   packaging/build.sh [OUTPUT_FOLDER]        (default: dist/ in this checkout)
#
# Needs the README's install with the "bundle" extra (PyInstaller):
#   python3 -m venv .venv && .venv/bin/pip install ".[bundle]"
# Uses $PYTHON if set, else .venv's Python, else python3. Works offline.
# Result: OUTPUT_FOLDER/synkimeter/ (run OUTPUT_FOLDER/synkimeter/synkimeter) and
# OUTPUT_FOLDER/synkimeter-VERSION-OS-ARCH.tar.gz (.zip on Windows).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$(mkdir -p "${1:-$ROOT/dist}" && cd "${1:-$ROOT/dist}" && pwd)"

if [ -n "${PYTHON:-}" ]; then PY="$PYTHON"
elif [ -x "$ROOT/.venv/bin/python" ]; then PY="$ROOT/.venv/bin/python"
elif [ -x "$ROOT/.venv/Scripts/python.exe" ]; then PY="$ROOT/.venv/Scripts/python.exe"
else PY="python3"
fi
if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
  echo "build.sh: PyInstaller is missing for $PY; install it with: .venv/bin/pip install \".[bundle]\"" >&2
  exit 2
fi

VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/pyproject.toml" | head -n1)"
case "$(uname -s)" in
  Linux*) OS=linux ;;
  Darwin*) OS=macos ;;
  MINGW*|MSYS*|CYGWIN*) OS=windows ;;
  *) OS="$(uname -s | tr '[:upper:]' '[:lower:]')" ;;
esac
ARCH="$(uname -m)"
NAME="synkimeter-$VERSION-$OS-$ARCH"

# The spec freezes this checkout's synkimeter (not whatever copy the venv has installed).
rm -rf "$OUT/synkimeter" "$OUT/synkimeter.app"
"$PY" -m PyInstaller --noconfirm --log-level WARN \
  --distpath "$OUT" --workpath "$OUT/.pyinstaller-work" "$ROOT/packaging/synkimeter.spec"

cd "$OUT"
if [ "$OS" = windows ]; then
  rm -f "$NAME.zip"
  "$PY" -c "import shutil, sys; shutil.make_archive(sys.argv[1], 'zip', '.', 'synkimeter')" "$NAME"
  ARCHIVE="$NAME.zip"
elif [ "$OS" = macos ] && [ -d synkimeter.app ]; then
  rm -f "$NAME.tar.gz"
  tar -czf "$NAME.tar.gz" synkimeter.app
  ARCHIVE="$NAME.tar.gz"
else
  rm -f "$NAME.tar.gz"
  tar -czf "$NAME.tar.gz" synkimeter
  ARCHIVE="$NAME.tar.gz"
fi
echo "Built $OUT/synkimeter/ ($(du -sh synkimeter | cut -f1)) and $OUT/$ARCHIVE ($(du -sh "$ARCHIVE" | cut -f1))"
