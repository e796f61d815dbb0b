#!/usr/bin/env bash
# Install the Debian packages that `make test` and `make demo` need, and nothing when they are there.
# Quick and silent on a ready machine, so `make test` can call it on every run.
set -euo pipefail

# gnupg: encryption at the door; chromium: end-to-end tests without JavaScript (Playwright);
# postgresql: tests/pgserver.py starts a throwaway server from it; fonts: legible screenshots;
# tor: the onion services (`sealdrop-onion`, `sealdrop demo --tor`) and the private Tor network of
# the tor tests (tor-gencert comes with it). Debian starts no daemon here without systemd.
# debootstrap: the Ansible converge test builds a Debian bookworm root with it (tests/ansible).
# mat2: the reader's metadata reports and cleaned copies (it brings GdkPixbuf, Poppler, librsvg,
# cairo, mutagen and exiftool for Debian's python3, which runs it: see reader/metadata.py);
# bubblewrap: mat2 runs exiftool in a bubblewrap sandbox when bwrap is there.
# The reader window's Qt (PySide6 wheels from PyPI) loads these system libraries even offscreen.
wanted=(gnupg chromium postgresql fonts-dejavu-core tor debootstrap mat2 bubblewrap
    libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0)
# An npm from elsewhere (nvm, nodesource) is fine; Debian's is only the fallback.
command -v npm >/dev/null 2>&1 || wanted+=(nodejs npm)

missing=()
for pkg in "${wanted[@]}"; do
    # dpkg -s exits 0 for removed-but-not-purged packages too, so read the status line.
    if ! dpkg -s "$pkg" 2>/dev/null | grep -qx 'Status: install ok installed'; then
        missing+=("$pkg")
    fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
    echo "install-system-deps: missing Debian packages: ${missing[*]} (run this script as root)" >&2
    exit 1
fi

echo "install-system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# </dev/null: a maintainer script must never wait for a terminal that CI does not have.
apt-get update -qq </dev/null
apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}" </dev/null
