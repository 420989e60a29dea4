#!/usr/bin/env bash
# configure.sh BUILD_DIR [cmake args...]: configures a Ninja build of dps into BUILD_DIR.
set -euo pipefail
build_dir=$1; shift
cmake -S "$(dirname "$0")/.." -B "$build_dir" -G Ninja "$@" >/dev/null
