#!/usr/bin/env bash
# Measures the rtslib executor against today's targetcli script on the lab VM, in one run (times are noisy: other
# VMs share the host, so compare within a run). Writes runs/bench-<time>/ (TSV + every JSON output) and prints
# the TSV. Phases (default all but tc100rm): base n10 n100 tc100 tc100rm n1000 reboot
# usage: bench.sh [phase...]   (lab VM running; PUREBOOT_LAB_DIR set)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../common.sh
source "$HERE/../common.sh"; lab_load_env
# shellcheck source=lib.sh
source "$HERE/lib.sh"
PHASES=("$@"); [[ ${#PHASES[@]} -gt 0 ]] || PHASES=(base n10 n100 tc100 n1000 reboot)
OUT="$HERE/runs/bench-$(date -u +%Y%m%d-%H%M%S)"; mkdir -p "$OUT"
TSV="$OUT/results.tsv"
printf 'phase\texecutor\taction\tN\tLUNs_before\twall_s\tsync_s\timport_s\tapply_s\tsave_dump_s\tsave_total_s\tok\tplan_bytes\n' >"$TSV"
host_load() { echo "host: $(uptime | sed 's/.*load/load/'); qemu VMs running: $(pgrep -c qemu-system || true)"; }
host_load | tee "$OUT/host.txt"
want() { local p; for p in "${PHASES[@]}"; do [[ $p == "$1" ]] && return 0; done; return 1; }

# run EXECUTOR ACTION N BEFORE PHASE [gen args...]: one batch, one TSV line
run() {
  local ex=$1 action=$2 n=$3 before=$4 phase=$5; shift 5
  local form=plan; [[ $ex == targetcli ]] && form=targetcli
  local in="$OUT/$phase.$ex.$action.$n.in" res="$OUT/$phase.$ex.$action.$n.out" t
  python3 "$HERE/gen.py" "$form" "$action" "$n" "$@" >"$in"
  if [[ $ex == rtslib ]]; then
    t=$(rt_apply "$in" "$res")
    python3 - "$res" "$phase" "$ex" "$action" "$n" "$before" "$t" "$(stat -c %s "$in")" >>"$TSV" <<'EOF'
import json, sys
r, phase, ex, action, n, before, t, size = sys.argv[1:]
d = json.load(open(r)); e = d["elapsed"]; wall, sync = t.split()
ok = sum(x["ok"] for x in d["results"])
print("\t".join(str(x) for x in [phase, ex, action, n, before, wall, sync, "%.2f" % e["import"], "%.2f" % e["apply"],
      "%.2f" % e.get("save_dump", 0), "%.2f" % e["save"], "%d/%d" % (ok, len(d["results"])), size]))
EOF
  else
    t=$(rt_targetcli "$in" "$res")
    # a failed targetcli line prints one line on stderr, merged: count lines that are neither prompts nor routine
    local errs; errs=$(grep -vcE '^(/> )*(Created|Deleted|Parameter|Using default|Global pref|Last 10|Configuration saved|Warning: Could not load preferences|targetcli shell|Copyright|For help|Binding|exit|Warning: TPG|$)' "$res" || true)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t-\t-\t-\t-\t%s\t%s\n' "$phase" "$ex" "$action" "$n" "$before" ${t} "errors:$errs" "$(stat -c %s "$in")" >>"$TSV"
  fi
  tail -1 "$TSV"
}

snap() {  # snap N PHASE: snapshot with sessions at N LUNs
  local t; t=$(rt_snapshot "$OUT/$2.snapshot.$1.json")
  python3 - "$OUT/$2.snapshot.$1.json" "$1" "$t" "$2" >>"$OUT/snapshots.tsv" <<'EOF'
import json, os, sys
p, n, t, phase = sys.argv[1:]
d = json.load(open(p)); e = d["elapsed"]
print("\t".join([phase, n, t, "%.2f" % e["import"], "%.2f" % e["dump"], "%.2f" % e["storage"], "%.3f" % e["sessions"],
                 str(len(d["live"]["storage_objects"])), str(len(d["sessions"])), str(os.path.getsize(p))]))
EOF
  tail -1 "$OUT/snapshots.tsv"
}
printf 'phase\tLUNs\twall_s\timport_s\tdump_s\tversion+storage_s\tsessions_s\tstorage_objects\tsessions\tbytes\n' >"$OUT/snapshots.tsv"

rt_install
rt_clear
lab_ssh 'cd /var/lib/pureboot/luns && truncate -s 16M $(seq -f "pb-bench-%04g.img" 0 999)' </dev/null

if want base; then
  lab_ssh 'cd /root/pb; for c in "pass" "import rtslib_fb" "import sys; sys.path.insert(0, \"/root/pb\"); import rtslib_common" "import targetcli"; do
    for i in 1 2 3; do s=$(date +%s%N); python3 -c "$c"; e=$(date +%s%N); echo "python3 -c \"$c\": $(( (e - s) / 1000000 )) ms"; done; done
    for i in 1 2 3; do s=$(date +%s%N); h=$(mktemp -d); HOME=$h targetcli ls / 1 >/dev/null 2>&1; e=$(date +%s%N); echo "targetcli ls / 1 (empty config): $(( (e - s) / 1000000 )) ms"; done' </dev/null | tee "$OUT/base.txt"
fi
if want n10; then
  for rep in 1 2; do
    run rtslib create 10 0 n10 --new-target; snap 10 n10
    run rtslib remove 10 10 n10 --delete-target
    run targetcli create 10 0 n10 --new-target
    run targetcli remove 10 10 n10 --delete-target
  done
fi
if want n100; then
  run rtslib create 100 0 n100 --new-target; snap 100 n100
  lab_ssh "cd $RT_VMDIR && python3 check-dump-equal.py $RT_VMDIR" </dev/null | tee -a "$OUT/dump-equal.txt"
  run rtslib remove 100 100 n100 --delete-target
  run rtslib create 100 0 n100 --new-target
  run rtslib remove 100 100 n100 --delete-target
fi
if want tc100; then
  run targetcli create 100 0 tc100 --new-target
  if want tc100rm; then run targetcli remove 100 100 tc100 --delete-target
  else run rtslib remove 100 100 tc100 --delete-target; fi
fi
if want n1000; then
  run rtslib create 1000 0 n1000 --new-target; snap 1000 n1000
  run rtslib create 10 1000 n1000 --first 0 >/dev/null || true   # all 10 exist: failures expected, measures the checks
  run rtslib remove 500 1000 n1000 --first 500; snap 500 n1000
  lab_ssh "cd $RT_VMDIR && python3 check-dump-equal.py $RT_VMDIR" </dev/null | tee -a "$OUT/dump-equal.txt"
  run rtslib remove 10 500 n1000 --first 0
  run rtslib create 10 490 n1000 --first 0
  run rtslib remove 500 500 n1000 --first 0 --delete-target
fi
if want reboot; then
  run rtslib create 10 0 reboot --new-target
  rt_saved >"$OUT/reboot.saved-before.json"
  bash "$HERE/../reboot-vm.sh" >"$OUT/reboot.log" 2>&1
  lab_ssh 'systemctl is-active rtslib-fb-targetctl; python3 -c "import json,rtslib_fb; print(json.dumps(rtslib_fb.RTSRoot().dump()))"' </dev/null >"$OUT/reboot.live-after.txt"
  head -1 "$OUT/reboot.live-after.txt"; tail -1 "$OUT/reboot.live-after.txt" >"$OUT/reboot.live-after.json"
  python3 "$HERE/normalize.py" "$OUT/reboot.saved-before.json" "$OUT/reboot.live-after.json" | tee "$OUT/reboot.compare.txt" | head -20
  lab_ssh 'h=$(mktemp -d); HOME=$h targetcli ls /iscsi 2>&1 | head -12' </dev/null | tee "$OUT/reboot.targetcli-ls.txt"
  run rtslib remove 10 10 reboot --delete-target
fi
host_load | tee -a "$OUT/host.txt"
echo "== $TSV"; column -t -s $'\t' "$TSV"; echo; column -t -s $'\t' "$OUT/snapshots.tsv"
