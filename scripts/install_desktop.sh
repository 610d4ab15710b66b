#!/usr/bin/env bash
# Put Takeline in the desktop's application menu, with its icon and the .takeline file type,
# for the current user (no root): the files from resources/ into $XDG_DATA_HOME
# (~/.local/share), then the MIME, desktop and icon caches refreshed where those tools exist.
#
#   scripts/install_desktop.sh EXEC        EXEC: the takeline command the menu entry runs
#                                          (the venv's .venv/bin/takeline, or the bundle's
#                                          dist/takeline/takeline); made absolute
#   scripts/install_desktop.sh --uninstall removes what it installed
#
# DATA_HOME=DIR installs somewhere else (tests, packaging into a staging folder).
set -euo pipefail

ID=org.takeline.Takeline
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RES="$HERE/resources"
DATA_HOME="${DATA_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}}"

refresh() {
    if command -v update-mime-database >/dev/null 2>&1; then
        update-mime-database "$DATA_HOME/mime"
    else
        echo "note: update-mime-database not found (shared-mime-info); .takeline files are" \
             "recognised after the next login or when it is installed" >&2
    fi
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$DATA_HOME/applications" || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && \
       [ -f "$DATA_HOME/icons/hicolor/index.theme" ]; then
        gtk-update-icon-cache -q -t "$DATA_HOME/icons/hicolor" || true
    fi
}

installed_files() {
    echo "applications/$ID.desktop"
    echo "metainfo/$ID.metainfo.xml"
    echo "mime/packages/$ID.xml"
    echo "icons/hicolor/scalable/apps/$ID.svg"
    for png in "$RES"/icons/hicolor/*/apps/"$ID".png; do
        echo "icons/hicolor/${png#"$RES"/icons/hicolor/}"
    done
}

if [ "${1:-}" = "--uninstall" ]; then
    while read -r f; do rm -f "$DATA_HOME/$f"; done < <(installed_files)
    refresh
    echo "Removed Takeline's menu entry, icons and file type from $DATA_HOME"
    exit 0
fi

if [ $# -ne 1 ]; then
    echo "usage: $0 EXEC | --uninstall" >&2
    exit 2
fi
EXEC="$(realpath -- "$1")"
if [ ! -x "$EXEC" ]; then
    echo "error: $1 is not an executable takeline command (build it first: make venv or" \
         "make package)" >&2
    exit 1
fi

install -d "$DATA_HOME/applications" "$DATA_HOME/metainfo" "$DATA_HOME/mime/packages" \
    "$DATA_HOME/icons/hicolor/scalable/apps"
# The menu runs this checkout's command, by absolute path: it need not be on PATH.
quoted="${EXEC//\\/\\\\}"; quoted="${quoted//\"/\\\"}"
sed -e "s|^Exec=takeline |Exec=\"$quoted\" |" -e "s|^TryExec=takeline$|TryExec=$EXEC|" \
    "$RES/desktop/$ID.desktop" > "$DATA_HOME/applications/$ID.desktop"
install -m 644 "$RES/desktop/$ID.metainfo.xml" "$DATA_HOME/metainfo/"
install -m 644 "$RES/desktop/$ID.mime.xml" "$DATA_HOME/mime/packages/$ID.xml"
install -m 644 "$RES/icons/$ID.svg" "$DATA_HOME/icons/hicolor/scalable/apps/"
for png in "$RES"/icons/hicolor/*/apps/"$ID".png; do
    rel="${png#"$RES"/icons/hicolor/}"
    install -D -m 644 "$png" "$DATA_HOME/icons/hicolor/$rel"
done
refresh
echo "Installed Takeline in the application menu ($DATA_HOME/applications/$ID.desktop," \
     "running $EXEC), its icon, and the .takeline file type"
