# Shared helpers for the scripts in this folder. Sourced, never run.
set -euo pipefail

MDETR_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MDETR_BUILD_DIR="${MDETR_BUILD_DIR:-$MDETR_ROOT/build}"
MDETR_VENV="${MDETR_VENV:-$MDETR_ROOT/.venv}"
# shellcheck source=versions.env
source "$MDETR_ROOT/scripts/versions.env"

_step_start=0
step() { _step_start=$(date +%s); printf '\033[1m==> %s\033[0m\n' "$*"; }
done_step() { printf '    done in %ss\n' "$(( $(date +%s) - _step_start ))"; }
note() { printf '    %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Number of parallel compile jobs: one per core, but never more than memory allows
# (a torch translation unit peaks near 2 GB).
build_jobs() {
  local cores mem_gb
  cores=$(nproc)
  mem_gb=$(awk '/MemAvailable/ {print int($2/1048576)}' /proc/meminfo)
  local by_mem=$(( mem_gb / 2 ))
  (( by_mem < 1 )) && by_mem=1
  echo $(( cores < by_mem ? cores : by_mem ))
}
