#!/usr/bin/env bash
# The browser test drives Debian's Chromium through playwright-core (Playwright's own browser
# download does not work on these machines): install it when it is missing, so that a fresh
# machine needs nothing by hand.
set -euo pipefail
if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "${CHROMIUM_PATH}" ]; then exit 0; fi
if [ -x /usr/bin/chromium ]; then exit 0; fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "Installing Debian's chromium for the browser test..."
$sudo apt-get update -qq
$sudo apt-get install -y -qq chromium
