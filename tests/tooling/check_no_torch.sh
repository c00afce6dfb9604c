#!/usr/bin/env bash
# Fails if any given binary needs a LibTorch library, directly or through its dependencies.
set -euo pipefail
status=0
for bin in "$@"; do
  needed=$(ldd "$bin" | awk '{print $1}' | grep -E '^lib(torch|c10)' || true)
  if [[ -n "$needed" ]]; then
    echo "$bin links LibTorch: $(echo $needed | tr '\n' ' ')"
    status=1
  else
    echo "$bin: no LibTorch ($(ldd "$bin" | wc -l) shared libraries)"
  fi
done
exit $status
