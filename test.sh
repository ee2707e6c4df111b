#!/usr/bin/env bash
# PureBoot's test command (README): unit tests, Pester where pwsh exists, and the real LIO lab.
#   ./test.sh            everything; boots the lab VM (builds its image once) unless one is running
#   ./test.sh --unit     xunit (and Pester) only
# Ends with a line "N passed, N failed, N skipped" over every suite that ran.
set -uo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
MODE=${1:-all}
RESULTS=$(mktemp -d /tmp/pureboot-results.XXXXXX)
LAB_DIR=${PUREBOOT_LAB_DIR:-/tmp/pureboot-lab}
started_vm=0
status=0
lab_skipped=""

say() { printf '\n== %s ==\n' "$*"; }

cleanup() {
  if [ "$started_vm" = 1 ]; then say "stopping the lab VM"; bash tests/Integration/lab/stop-vm.sh || true; fi
}
trap cleanup EXIT

say "build"
dotnet build PureBoot.sln -c Debug -nologo -v quiet || { echo "BUILD FAILED"; exit 1; }

say "unit tests (tests/Unit)"
dotnet test tests/Unit --no-build -nologo --logger "trx;LogFileName=unit.trx" --results-directory "$RESULTS" || status=1

say "Pester (tests/Pester)"
if command -v pwsh >/dev/null 2>&1; then
  pwsh -NoProfile -File ./build.ps1 -Test -SkipDotnetTests || status=1
else
  echo "Pester skipped: pwsh not found on PATH (the Pester suite needs PowerShell 7.4+ and Pester 5)."
fi

if [ "$MODE" != "--unit" ]; then
  say "integration tests against the real LIO lab (tests/Integration)"
  if ( source tests/Integration/lab/common.sh && lab_qemu_pid >/dev/null && lab_load_env && lab_ssh true ) >/dev/null 2>&1; then
    echo "using the running lab VM in $LAB_DIR"
  else
    if bash tests/Integration/lab/build-image.sh && bash tests/Integration/lab/start-vm.sh --fresh; then
      started_vm=1
    else
      lab_skipped="LAB SKIPPED: the lab VM could not be built or started (see above); the integration tests in tests/Integration did NOT run."
      echo "$lab_skipped"
    fi
  fi
  if [ -f "$LAB_DIR/lab.env" ]; then
    PUREBOOT_LAB_ENV="$LAB_DIR/lab.env" dotnet test tests/Integration -nologo --logger "trx;LogFileName=integration.trx" --logger "console;verbosity=normal" --results-directory "$RESULTS" || status=1
  fi
fi

# One closing line over every trx written.
python3 - "$RESULTS" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
p = f = s = 0
for t in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(t).getroot().find("{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}ResultSummary/{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}Counters")
    if c is None: continue
    p += int(c.get("passed", 0)); f += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0))
    s += int(c.get("notExecuted", 0))
print(f"\n{p} passed, {f} failed, {s} skipped")
PY
[ -n "$lab_skipped" ] && echo "$lab_skipped"
exit $status
