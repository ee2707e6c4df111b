#!/usr/bin/env bash
# README's first command: on a machine with only the .NET SDK, restores the pinned pwsh (.config/dotnet-tools.json),
# builds the module into out/PureBoot and runs examples/QuickStart.ps1 on it: a simulated backend and a SQLite
# inventory in a temporary folder (your own inventory and key are not touched). Extra arguments go to build.ps1,
# e.g. ./build.sh -Package.
set -euo pipefail
cd "$(dirname "$0")"
dotnet tool restore
if [ "$#" -eq 0 ]; then set -- -Demo; fi
exec dotnet pwsh -NoProfile -NonInteractive -File ./build.ps1 "$@"
