#!/usr/bin/env bash
# Check (and, where possible, install) the system packages Takeline needs.
#
# Usage: scripts/system_deps.sh [--check-only]
#   PYTHON=python3.12 scripts/system_deps.sh    # check the venv support of another interpreter
#
# Package groups (Debian/Ubuntu names):
#   hard     python3-venv (or python3.X-venv): without ensurepip `python -m venv` cannot
#            build the environment. Missing and not installable -> exit 1.
#   qt-core  libraries that PySide6's QtGui/QtWidgets link against directly (DT_NEEDED), even
#            with QT_QPA_PLATFORM=offscreen: libEGL, libGL, libX11, libxkbcommon, libfontconfig,
#            libfreetype, libglib-2.0 and (through QtDBus) libdbus-1. Without them `import
#            PySide6.QtGui` fails, so the Qt tests fail. Missing -> loud warning, exit 0.
#   display  what the xcb platform plugin (libqxcb.so + libQt6XcbQpa.so) links against, needed
#            only to open a real window (`make run`). Qt 6 no longer uses libxcb-xinerama0.
#            Missing -> warning, exit 0.
#   audio    libportaudio2: sounddevice's Linux wheels do not bundle PortAudio, and
#            `import sounddevice` raises OSError without it. Missing -> warning, exit 0.
#   tools    xvfb: the private X server `make screenshots` opens the real window on.
#            Missing -> warning, exit 0.
#
# Missing packages are installed with apt-get when running as root or with passwordless sudo;
# `apt-get update` runs only if the first install attempt fails. Otherwise the exact
# `sudo apt-get install ...` line is printed. Without dpkg (not Debian/Ubuntu) the needs are
# printed (checked with ldconfig where possible) and the script continues.
set -uo pipefail

PYTHON="${PYTHON:-python3}"
CHECK_ONLY=0
for arg in "$@"; do
    case "$arg" in
        --check-only) CHECK_ONLY=1 ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        *) echo "system_deps.sh: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

# "install-name[|alternative...]:soname" - any alternative counts as installed (Ubuntu 24.04 and
# Debian 13 renamed some libraries with a t64 suffix); the first name is what apt-get is given
# (apt resolves it to the renamed package where needed).
QT_CORE=(
    "libegl1:libEGL.so.1"
    "libgl1:libGL.so.1"
    "libx11-6:libX11.so.6"
    "libxkbcommon0:libxkbcommon.so.0"
    "libfontconfig1:libfontconfig.so.1"
    "libfreetype6:libfreetype.so.6"
    "libglib2.0-0|libglib2.0-0t64:libglib-2.0.so.0"
    "libdbus-1-3:libdbus-1.so.3"
)
DISPLAY_LIBS=(
    "libxkbcommon-x11-0:libxkbcommon-x11.so.0"
    "libx11-xcb1:libX11-xcb.so.1"
    "libxcb-cursor0:libxcb-cursor.so.0"
    "libxcb-icccm4:libxcb-icccm.so.4"
    "libxcb-image0:libxcb-image.so.0"
    "libxcb-keysyms1:libxcb-keysyms.so.1"
    "libxcb-randr0:libxcb-randr.so.0"
    "libxcb-render0:libxcb-render.so.0"
    "libxcb-render-util0:libxcb-render-util.so.0"
    "libxcb-shape0:libxcb-shape.so.0"
    "libxcb-shm0:libxcb-shm.so.0"
    "libxcb-sync1:libxcb-sync.so.1"
    "libxcb-util1:libxcb-util.so.1"
    "libxcb-xfixes0:libxcb-xfixes.so.0"
    "libxcb-xkb1:libxcb-xkb.so.1"
    "libxcb-glx0:libxcb-glx.so.0"
)
AUDIO_LIBS=(
    "libportaudio2:libportaudio.so.2"
)
# "install-name:command" - programs, checked on PATH where there is no dpkg.
TOOLS=(
    "xvfb:Xvfb"
)

say()  { printf 'system_deps: %s\n' "$*"; }
warn() { printf 'system_deps: WARNING: %s\n' "$*" >&2; }
err()  { printf 'system_deps: ERROR: %s\n' "$*" >&2; }

have_dpkg() { command -v dpkg-query >/dev/null 2>&1; }

# dpkg_installed NAME[|ALT...] -> 0 if any alternative is installed.
dpkg_installed() {
    local alt
    local IFS='|'
    for alt in $1; do
        if dpkg-query -W -f='${Status}\n' "$alt" 2>/dev/null | grep -q ' ok installed'; then
            return 0
        fi
    done
    return 1
}

# --- hard requirement: a Python that can create a venv with pip -------------------------------
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    err "'$PYTHON' not found. Install Python >= 3.11 (Debian/Ubuntu: sudo apt-get install python3 python3-venv)."
    exit 1
fi
PY_VER="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" || PY_VER=""
if [ -z "$PY_VER" ]; then
    err "'$PYTHON' does not run. Install Python >= 3.11 or pick another interpreter: make PYTHON=..."
    exit 1
fi
PY_EXE="$("$PYTHON" -c 'import os, sys; print(os.path.realpath(sys.executable))')"

HARD=()
if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    if have_dpkg && dpkg -S "$PY_EXE" >/dev/null 2>&1; then
        # The distribution's Python: ensurepip lives in python3.X-venv.
        SYS_VER="$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)"
        if [ "$SYS_VER" = "$PY_VER" ]; then
            HARD+=("python3-venv|python${PY_VER}-venv:ensurepip")
        else
            HARD+=("python${PY_VER}-venv:ensurepip")
        fi
    else
        err "$PY_EXE (Python $PY_VER) has no working 'venv'/'ensurepip' module and is not a"
        err "distribution package; rebuild it with ensurepip or pick another interpreter: make PYTHON=..."
        exit 1
    fi
fi

# --- non-Debian: report and continue ----------------------------------------------------------
if ! have_dpkg; then
    if [ "${#HARD[@]}" -gt 0 ]; then
        err "Python $PY_VER cannot create virtual environments (ensurepip missing)."
        exit 1
    fi
    say "no dpkg: not a Debian/Ubuntu system; checking shared libraries by soname instead."
    missing_so=()
    if command -v ldconfig >/dev/null 2>&1; then
        cache="$(ldconfig -p 2>/dev/null || true)"
        for entry in "${QT_CORE[@]}" "${DISPLAY_LIBS[@]}" "${AUDIO_LIBS[@]}"; do
            so="${entry##*:}"
            grep -qF "$so " <<<"$cache" || missing_so+=("$so")
        done
        if [ "${#missing_so[@]}" -gt 0 ]; then
            warn "not found by ldconfig (install them with your package manager): ${missing_so[*]}"
        else
            say "all needed shared libraries found."
        fi
    else
        warn "cannot check; Takeline needs these libraries: $(for e in "${QT_CORE[@]}" "${DISPLAY_LIBS[@]}" "${AUDIO_LIBS[@]}"; do printf '%s ' "${e##*:}"; done)"
    fi
    for entry in "${TOOLS[@]}"; do
        command -v "${entry##*:}" >/dev/null 2>&1 || \
            warn "${entry##*:} not found (package ${entry%%:*}); \`make screenshots\` needs it."
    done
    exit 0
fi

# --- Debian/Ubuntu: find what is missing ------------------------------------------------------
declare -a MISSING_HARD=() MISSING_CORE=() MISSING_DISPLAY=() MISSING_AUDIO=() MISSING_TOOLS=()
collect() {  # collect ARRAY_NAME entries...
    local -n out="$1"; shift
    local entry pkgs
    for entry in "$@"; do
        pkgs="${entry%%:*}"
        dpkg_installed "$pkgs" || out+=("${pkgs%%|*}")
    done
}
recheck() {
    MISSING_HARD=(); MISSING_CORE=(); MISSING_DISPLAY=(); MISSING_AUDIO=(); MISSING_TOOLS=()
    collect MISSING_HARD "${HARD[@]+"${HARD[@]}"}"
    collect MISSING_CORE "${QT_CORE[@]}"
    collect MISSING_DISPLAY "${DISPLAY_LIBS[@]}"
    collect MISSING_AUDIO "${AUDIO_LIBS[@]}"
    collect MISSING_TOOLS "${TOOLS[@]}"
}
recheck
ALL_MISSING=("${MISSING_HARD[@]+"${MISSING_HARD[@]}"}" "${MISSING_CORE[@]+"${MISSING_CORE[@]}"}" \
             "${MISSING_DISPLAY[@]+"${MISSING_DISPLAY[@]}"}" "${MISSING_AUDIO[@]+"${MISSING_AUDIO[@]}"}" \
             "${MISSING_TOOLS[@]+"${MISSING_TOOLS[@]}"}")

if [ "${#ALL_MISSING[@]}" -eq 0 ]; then
    say "all system packages present."
    exit 0
fi
say "missing: ${ALL_MISSING[*]}"

# --- try to install ---------------------------------------------------------------------------
SUDO=""
can_install=0
if [ "$CHECK_ONLY" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        can_install=1
    elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
        SUDO="sudo -n"; can_install=1
    fi
fi

if [ "$can_install" -eq 1 ]; then
    apt_install() {
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
            -o Dpkg::Use-Pty=0 "$@"
    }
    say "installing: ${ALL_MISSING[*]}"
    if ! apt_install "${ALL_MISSING[@]}"; then
        say "install failed; running apt-get update and retrying"
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q || warn "apt-get update failed"
        if ! apt_install "${ALL_MISSING[@]}"; then
            # One unknown name must not block the rest: install what can be installed.
            warn "bulk install failed; trying packages one by one"
            for p in "${ALL_MISSING[@]}"; do apt_install "$p" || warn "could not install $p"; done
        fi
    fi
    recheck
fi

# --- report -----------------------------------------------------------------------------------
STILL=("${MISSING_HARD[@]+"${MISSING_HARD[@]}"}" "${MISSING_CORE[@]+"${MISSING_CORE[@]}"}" \
       "${MISSING_DISPLAY[@]+"${MISSING_DISPLAY[@]}"}" "${MISSING_AUDIO[@]+"${MISSING_AUDIO[@]}"}" \
       "${MISSING_TOOLS[@]+"${MISSING_TOOLS[@]}"}")
if [ "${#STILL[@]}" -eq 0 ]; then
    say "all system packages present."
    exit 0
fi

echo >&2
warn "still missing system packages. Install them with:"
printf '\n    sudo apt-get install -y --no-install-recommends %s\n\n' "${STILL[*]}" >&2
[ "${#MISSING_CORE[@]}" -gt 0 ] && \
    warn "Qt cannot load without ${MISSING_CORE[*]} - even offscreen; the Qt tests will fail."
[ "${#MISSING_DISPLAY[@]}" -gt 0 ] && \
    warn "no Qt window (xcb) without ${MISSING_DISPLAY[*]}; offscreen tests still work."
[ "${#MISSING_AUDIO[@]}" -gt 0 ] && \
    warn "no audio playback without ${MISSING_AUDIO[*]} ('import sounddevice' raises OSError)."
[ "${#MISSING_TOOLS[@]}" -gt 0 ] && \
    warn "no \`make screenshots\` without ${MISSING_TOOLS[*]} (it opens the window on Xvfb)."
if [ "${#MISSING_HARD[@]}" -gt 0 ]; then
    err "Python $PY_VER cannot create the virtual environment without ${MISSING_HARD[*]}."
    exit 1
fi
exit 0
