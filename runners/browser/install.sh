#!/usr/bin/env bash
# Installs the headless browser that the dashboard test (serve/DashboardBrowserTest) drives:
# Debian's `chromium` and `chromium-driver` packages, with apt-get, when they are missing.
# Why: Selenium must not download browsers or drivers (Selenium Manager); CI runs as root on a
# clean Debian 12 and the test fails there when the browser is missing.
# Idempotent: does nothing when both are installed. Needs root only when it has to install.
# Prints the two paths on stdout: `chromium=<path>` and `chromedriver=<path>`.
set -euo pipefail

log() { echo "[browser/install] $*" >&2; }
die() { echo "[browser/install] ERROR: $*" >&2; exit 1; }

have() { command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; }

if ! have; then
  [ "$(id -u)" -eq 0 ] || die "chromium/chromedriver missing and not root: run as root, or: sudo apt-get install -y chromium chromium-driver"
  log "installing Debian packages chromium chromium-driver"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2 || log "apt-get update failed; trying the install with the cached package lists"
  apt-get install -y -q --no-install-recommends chromium chromium-driver >&2
  have || die "installed chromium chromium-driver but chromium or chromedriver is still not on PATH"
fi

CHROMIUM="$(command -v chromium)"
DRIVER="$(command -v chromedriver)"
log "$("$CHROMIUM" --version 2>/dev/null || echo 'chromium (version unknown)'); $("$DRIVER" --version 2>/dev/null | head -n 1)"
echo "chromium=${CHROMIUM}"
echo "chromedriver=${DRIVER}"
