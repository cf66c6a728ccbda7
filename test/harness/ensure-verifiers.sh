#!/usr/bin/env bash
# The other-stacks e2e test (test/e2e/verify-other-stacks.e2e.test.ts) runs the examples in
# examples/verify/ with Node, Python 3, Go, PHP and Ruby: install from Debian whichever of them is
# missing, so that a fresh machine needs nothing by hand. (php-cli brings sodium on Debian: the PHP
# example verifies v1a with it.)
set -euo pipefail
missing=()
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v go >/dev/null 2>&1 || missing+=(golang-go)
command -v php >/dev/null 2>&1 || missing+=(php-cli)
command -v ruby >/dev/null 2>&1 || missing+=(ruby)
if [ "${#missing[@]}" -eq 0 ]; then exit 0; fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "Installing Debian's ${missing[*]} for the other-stacks verification test..."
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
