#!/usr/bin/env bash
# Installs what `npm run test:ui` needs: a real Chromium for the headless browser suite — Debian's
# `chromium` package (the suite drives it with playwright-core, which downloads no browser of its
# own). Idempotent: nothing to do when `chromium` (or $EDDY_CHROMIUM) already runs.
set -euo pipefail
bin=${EDDY_CHROMIUM:-chromium}
if command -v "$bin" >/dev/null 2>&1; then
  echo "ui-setup: $("$bin" --version 2>/dev/null | head -1) already installed"
  exit 0
fi
sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
echo "ui-setup: installing Debian's chromium"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq chromium >/dev/null
echo "ui-setup: $(chromium --version | head -1)"
