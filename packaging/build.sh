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

# PyInstaller's own work folder (75 MB), kept beside the checkout's other build products, never in
# the folder that is handed out.
WORK="${SYNKIMETER_BUILD_WORK:-$ROOT/build/pyinstaller-work}"

# Warnings PyInstaller gives on every build of this app that say nothing is wrong with it; any other
# warning or error is shown (all of them are in $WORK/build.log). Each pattern, with why it is harmless:
EXPECTED_WARNINGS=(
  # sounddevice, which mediapipe brings for its audio tasks (the face mesh never plays sound),
  # finds no PortAudio library on the build machine.
  'portaudio shared library not found'
  # pyqtgraph's 3-D widgets (left out of the app) need PyOpenGL, which is not installed.
  "Failed to collect submodules for 'pyqtgraph.opengl'"
  # Modules PyInstaller's hooks name that do not exist in these versions or are not used: pycparser's
  # generated tables (made on first use), a scipy module since removed, setuptools (left out), and
  # drivers of databases the app does not use (SQLAlchemy's; psycopg's C build: a clinic's build
  # uses psycopg's binary one).
  'Hidden import "(pycparser\.(lextab|yacctab)|scipy\.special\._cdflib|setuptools\._distutils|pysqlite2|MySQLdb|psycopg_c)" not found'
  # Windows system libraries some packages name through ctypes, looked for on every platform.
  'Library (shell32|ole32|user32) required via ctypes not found'
  # Qt's X11 platform plugin links these X libraries; they belong to the desktop the app runs on
  # (the README's "Set up" lists them), not to the app.
  "could not resolve 'libxcb-(icccm|keysyms)"
  # Qt's GTK 3 theme plugin links GTK 3: it is loaded only on a GTK desktop, which has GTK.
  "could not resolve 'lib(gtk|gdk)-3\.so"
)
# Drops those WARNING lines and PyInstaller's four opening INFO lines (its version, Python's, the
# platform, the environment: printed before --log-level takes effect); keeps everything else.
filter_warnings() {
  local pattern
  pattern=$(printf '%s|' "${EXPECTED_WARNINGS[@]}")
  grep -v -E "^[0-9]+ INFO: |^[0-9]+ WARNING: .*(${pattern%|})" || true
}

# The spec freezes this checkout's synkimeter (not whatever copy the venv has installed).
rm -rf "$OUT/synkimeter" "$OUT/synkimeter.app" "$OUT/.pyinstaller-work"
echo "Building the standalone app with PyInstaller (1-3 minutes)..."
mkdir -p "$WORK"
"$PY" -m PyInstaller --noconfirm --log-level WARN \
  --distpath "$OUT" --workpath "$WORK" "$ROOT/packaging/synkimeter.spec" 2>&1 \
  | tee "$WORK/build.log" | filter_warnings >&2

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
echo "(PyInstaller's full log, expected warnings included: $WORK/build.log)"
echo "Built $OUT/synkimeter/ ($(du -sh synkimeter | cut -f1)) and $OUT/$ARCHIVE ($(du -sh "$ARCHIVE" | cut -f1))"
