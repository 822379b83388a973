#!/usr/bin/env bash
# Tools the tests call besides Python: promtool (Debian's `prometheus` package ships it).
# Idempotent; `make test` runs it before the tests.
set -euo pipefail
if ! command -v promtool >/dev/null 2>&1; then
  echo "[tools] installing promtool (Debian package prometheus)"
  if [[ $(id -u) -eq 0 ]]; then SUDO=(); else SUDO=(sudo); fi
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y --no-install-recommends prometheus \
    || { "${SUDO[@]}" apt-get update && DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y --no-install-recommends prometheus; }
  # the package may start a Prometheus server of its own; the tests only need promtool
  if command -v systemctl >/dev/null 2>&1; then "${SUDO[@]}" systemctl disable --now prometheus 2>/dev/null || true; fi
fi
promtool --version 2>&1 | head -1
# Debian's headless chromium and its WebDriver: tests/e2e/test_collector_browser.py drives them.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "[tools] installing chromium and chromium-driver (Debian packages)"
  if [[ $(id -u) -eq 0 ]]; then SUDO=(); else SUDO=(sudo); fi
  "${SUDO[@]}" apt-get update \
    && DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y --no-install-recommends chromium chromium-driver
fi
chromedriver --version 2>&1 | head -1
# CJK fonts, so headless chromium renders the dashboard's Chinese labels in screenshots.
if ! fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy"; then
  echo "[tools] installing fonts-wqy-microhei (Chinese labels in browser screenshots)"
  if [[ $(id -u) -eq 0 ]]; then SUDO=(); else SUDO=(sudo); fi
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y --no-install-recommends fonts-wqy-microhei \
    || { "${SUDO[@]}" apt-get update && DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y --no-install-recommends fonts-wqy-microhei; }
fi
# docker-compose 1.x validates deploy/compose without a Docker engine (`config -q`).
if ! command -v docker-compose >/dev/null 2>&1; then
  echo "[tools] installing docker-compose (validates deploy/compose; no engine needed)"
  if [[ $(id -u) -eq 0 ]]; then SUDO=(); else SUDO=(sudo); fi
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y --no-install-recommends docker-compose \
    || { "${SUDO[@]}" apt-get update && DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y --no-install-recommends docker-compose; }
fi
