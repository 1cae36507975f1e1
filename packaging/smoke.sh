#!/usr/bin/env bash
# Smoke test of the BUILT app (dist/room-moderator/), not of the source tree; .ci/run runs it
# after `python -m tools.build`. Each check runs the frozen executable itself:
#   1. --screenshot on the built-in sandbox (a child process: the app run as --run-sandbox)
#      must write a PNG;
#   2. --smoke-test: the scripted host flow through the real widgets (live rooms, dial a guest,
#      connected, remove, left), exit status 0 only if every step happened;
#   3. --check-keyring under a private D-Bus session with an unlocked throwaway gnome-keyring,
#      as the source tree's SecretService test runs: the bundled keyring must find it;
#   4. --install-desktop-entry into a temporary XDG_DATA_HOME (and the entry and the AppStream
#      metainfo validated, where desktop-file-validate / appstreamcli are installed).
# Nothing touches the user's config, data or keyring: every folder is a temporary one.
set -euo pipefail
cd "$(dirname "$0")/.."
app="${1:-dist/room-moderator/room-moderator}"
[ -x "$app" ] || { echo "smoke: no built app at $app (run: python -m tools.build)" >&2; exit 1; }
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
export ROOM_MODERATOR_CONFIG_DIR="$scratch/config" ROOM_MODERATOR_DATA_DIR="$scratch/data"
export QT_QPA_PLATFORM=offscreen

"$app" --version
"$app" --sandbox --screenshot "$scratch/shot.png" --after 4
head -c 8 "$scratch/shot.png" | od -An -c | grep -q 'P   N   G' \
  || { echo "smoke: the screenshot is not a PNG" >&2; exit 1; }
echo "smoke: ok: screenshot written ($(wc -c <"$scratch/shot.png") bytes of PNG)"

"$app" --smoke-test

XDG_DATA_HOME="$scratch/keyring" dbus-run-session -- sh -c '
  printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  "$0" --check-keyring
' "$app" | tee "$scratch/keyring.log"
grep -q '^keyring: ok (keyring.backends.SecretService' "$scratch/keyring.log" \
  || { echo "smoke: the built app did not use the SecretService keyring" >&2; exit 1; }

XDG_DATA_HOME="$scratch/xdg" "$app" --install-desktop-entry
grep -q "^Exec=$(cd "$(dirname "$app")" && pwd)/room-moderator\$" \
  "$scratch/xdg/applications/room-moderator.desktop" \
  || { echo "smoke: the desktop entry does not start the built app" >&2; exit 1; }
[ -s "$scratch/xdg/icons/hicolor/scalable/apps/room-moderator.svg" ]
echo "smoke: ok: desktop entry installed"
if command -v desktop-file-validate >/dev/null 2>&1; then
  desktop-file-validate "$scratch/xdg/applications/room-moderator.desktop"
fi
if command -v appstreamcli >/dev/null 2>&1; then
  appstreamcli validate --no-net packaging/linux/*.metainfo.xml
fi
echo "smoke: all checks passed"
