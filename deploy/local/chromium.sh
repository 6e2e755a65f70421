#!/usr/bin/env bash
# Makes sure a Chromium for the browser tests is installed: Debian's
# `chromium` package (RELANCE_CHROMIUM names another binary). Installs it
# with apt-get when it is missing and we may; otherwise fails with a clear
# message — the browser tests never skip.
#   deploy/local/chromium.sh        prints the browser's path
set -euo pipefail

find_browser() {
  if [ -n "${RELANCE_CHROMIUM:-}" ]; then
    [ -x "$RELANCE_CHROMIUM" ] && { echo "$RELANCE_CHROMIUM"; return 0; }
    echo "RELANCE_CHROMIUM=$RELANCE_CHROMIUM is not an executable" >&2
    return 2
  fi
  for b in chromium chromium-browser; do
    if command -v "$b" >/dev/null 2>&1; then command -v "$b"; return 0; fi
  done
  return 1
}

if path=$(find_browser); then echo "$path"; exit 0; fi
[ $? -eq 2 ] && exit 1

if command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo -n"
  echo "installing Debian's chromium for the browser tests…" >&2
  if $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >&2 ||
     { $sudo apt-get update -q >&2 && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >&2; }; then
    if path=$(find_browser); then echo "$path"; exit 0; fi
  fi
fi
echo "the browser tests need Chromium: install Debian's 'chromium' package (apt-get install chromium)," >&2
echo "or set RELANCE_CHROMIUM to a Chromium or Chrome binary" >&2
exit 1
