#!/usr/bin/env bash
# PureBoot's test command (README): every suite. Needs only the .NET SDK (and, for the lab, the packages .ci/run
# installs): pwsh and Pester are restored from their pins (.config/dotnet-tools.json, tools/TestDeps).
#   ./test.sh            xunit, Pester, then the real LIO lab: boots the lab VM (builds its image once) unless one is
#                        running, runs tests/Integration and the Pester lab runbooks (tests/Pester/Lab)
#   ./test.sh --unit     xunit and Pester on simulated backends only
# Ends with a line "N passed, N failed, N skipped" over every suite that ran (trx and Pester NUnit results);
# exits non-zero when anything failed, including a Pester run that failed to load a file.
set -uo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
MODE=${1:-all}
RESULTS=$(mktemp -d /tmp/pureboot-results.XXXXXX)
LAB_DIR=${PUREBOOT_LAB_DIR:-/tmp/pureboot-lab}
started_vm=0
status=0
lab_skipped=""
pester_results=()   # Pester result files this run must have written

say() { printf '\n== %s ==\n' "$*"; }

cleanup() {
  if [ "$started_vm" = 1 ]; then say "stopping the lab VM"; bash tests/Integration/lab/stop-vm.sh || true; fi
}
trap cleanup EXIT

say "restore: pwsh (dotnet tool restore) and Pester (dotnet restore tools/TestDeps)"
dotnet tool restore || { echo "RESTORE FAILED: dotnet tool restore"; exit 1; }
dotnet restore tools/TestDeps -nologo -v quiet || { echo "RESTORE FAILED: dotnet restore tools/TestDeps"; exit 1; }

say "build"
dotnet build PureBoot.sln -c Debug -nologo -v quiet || { echo "BUILD FAILED"; exit 1; }

say "unit tests (tests/Unit)"
dotnet test tests/Unit --no-build -nologo --logger "trx;LogFileName=unit.trx" --results-directory "$RESULTS" || status=1

say "module, nupkg and Pester (build.ps1 -Test: tests/Pester without tests/Pester/Lab, simulated backends)"
pester_results+=("$RESULTS/pester-unit.xml")
dotnet pwsh -NoProfile -NonInteractive -File ./build.ps1 -Test -SkipDotnetTests -PesterResultPath "$RESULTS/pester-unit.xml" || status=1

if [ "$MODE" != "--unit" ]; then
  say "integration tests against the real LIO lab (tests/Integration)"
  if ( source tests/Integration/lab/common.sh && lab_qemu_pid >/dev/null && lab_load_env && lab_ssh true ) >/dev/null 2>&1; then
    echo "using the running lab VM in $LAB_DIR"
  else
    if bash tests/Integration/lab/build-image.sh && bash tests/Integration/lab/start-vm.sh --fresh; then
      started_vm=1
    else
      # A suite that did not run is not a pass: the run fails (./test.sh --unit is the way to leave the lab out).
      lab_skipped="LAB SKIPPED: the lab VM could not be built or started (see above); the integration tests in tests/Integration and the Pester lab runbooks in tests/Pester/Lab did NOT run, so this run fails."
      echo "$lab_skipped"
      status=1
    fi
  fi
  if [ -z "$lab_skipped" ] && [ -f "$LAB_DIR/lab.env" ]; then
    PUREBOOT_LAB_ENV="$LAB_DIR/lab.env" dotnet test tests/Integration -nologo --logger "trx;LogFileName=integration.trx" --logger "console;verbosity=normal" --results-directory "$RESULTS" || status=1

    say "Pester lab runbooks (tests/Pester/Lab) against the lab VM"
    if compgen -G "tests/Pester/Lab/*.Tests.ps1" >/dev/null; then
      pester_results+=("$RESULTS/pester-lab.xml")
      PUREBOOT_LAB_ENV="$LAB_DIR/lab.env" dotnet pwsh -NoProfile -NonInteractive -File tests/Pester/Invoke-PesterSuite.ps1 \
        -Path tests/Pester/Lab -ResultPath "$RESULTS/pester-lab.xml" \
        -ModulePath out/PureBoot/PureBoot.psd1 || status=1
    else
      echo "no Pester lab runbooks yet: tests/Pester/Lab/*.Tests.ps1 matches no file, so none ran."
    fi
  fi
fi

# One closing line over every trx and Pester NUnit file. A Pester file this run should have written and did not
# counts as one failure (Invoke-PesterSuite.ps1 records a test file that failed to load as a failed test case).
python3 - "$RESULTS" "${pester_results[@]}" <<'PY'
import glob, os, sys, xml.etree.ElementTree as ET
T = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
p = f = s = 0
for t in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(t).getroot().find(f"{T}ResultSummary/{T}Counters")
    if c is None: continue
    p += int(c.get("passed", 0)); f += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0))
    s += int(c.get("notExecuted", 0))
for n in sys.argv[2:]:
    if not os.path.exists(n):
        print(f"Pester wrote no result file {n}: counted as 1 failed"); f += 1; continue
    root = ET.parse(n).getroot()
    for case in root.iter("test-case"):
        r = case.get("result")
        if r == "Success": p += 1
        elif r in ("Failure", "Error"): f += 1
        else: s += 1   # Ignored (skipped), Inconclusive, NotRun
print(f"\n{p} passed, {f} failed, {s} skipped")
PY
[ -n "$lab_skipped" ] && echo "$lab_skipped"
exit $status
