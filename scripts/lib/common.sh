# shellcheck shell=bash
# Common helpers, sourced by scripts/lib/*.sh and scripts/*. Safe under `set -euo pipefail`.
# Defines DR_REPO (repo root) and small logging helpers. Sourcing twice is harmless.

if [[ -z "${DR_COMMON_SOURCED:-}" ]]; then
DR_COMMON_SOURCED=1

DR_REPO="${DR_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export DR_REPO

# Timestamped messages on stderr so that stdout stays parseable.
dr_log()  { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
dr_warn() { printf '[%s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
dr_die()  { printf '[%s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2; exit 1; }

# Seconds since the epoch with milliseconds (for timing phases).
dr_now() { date +%s.%N | cut -c1-14; }
dr_elapsed() { awk -v a="$1" -v b="$(dr_now)" 'BEGIN { printf "%.1f", b - a }'; }

# Run as root or through sudo if available.
dr_root() {
    if [[ "$(id -u)" -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
    else dr_die "need root for: $*"; fi
}
fi
