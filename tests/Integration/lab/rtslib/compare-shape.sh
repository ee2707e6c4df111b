#!/usr/bin/env bash
# Same objects through targetcli 2.1.53 (one script, as PureBoot sends it today) and through rtslib_apply.py, each
# from an empty config; compares the two saved configs (random WWNs/aliases masked) and then removes everything
# through both again. Also checks the saved file's mode and targetcli's reading of it.
# usage: compare-shape.sh [N] [OUTDIR]   (lab VM running; PUREBOOT_LAB_DIR set)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../common.sh
source "$HERE/../common.sh"; lab_load_env
# shellcheck source=lib.sh
source "$HERE/lib.sh"
N="${1:-10}"; OUT="${2:-$(mktemp -d /tmp/rtslib-compare.XXXX)}"; mkdir -p "$OUT"
rt_install
lab_ssh 'lvs pureboot/pb-blk >/dev/null 2>&1 || lvcreate -q -y -L 64m -n pb-blk pureboot; cd /var/lib/pureboot/luns && truncate -s 16M $(seq -f "pb-bench-%04g.img" 0 999)' </dev/null

for form in targetcli plan; do
  rt_clear
  python3 "$HERE/gen.py" "$form" create "$N" --new-target --extras >"$OUT/create.$form"
  if [[ $form == plan ]]; then t=$(rt_apply "$OUT/create.$form" "$OUT/create.$form.out"); rt_check "$OUT/create.$form.out"
  else t=$(rt_targetcli "$OUT/create.$form" "$OUT/create.$form.out"); grep -c . "$OUT/create.$form.out" >/dev/null; fi
  echo "create $N+extras via $form: wall/sync s = $t"
  rt_saved >"$OUT/saved.$form.json"
  lab_ssh 'stat -c "%a %U %n" /etc/rtslib-fb-target/saveconfig.json' </dev/null
done
python3 "$HERE/normalize.py" "$OUT/saved.targetcli.json" "$OUT/saved.plan.json" || true

echo "targetcli reads the file rtslib_apply wrote:"
lab_ssh 'h=$(mktemp -d); HOME=$h targetcli ls / 1 2>&1 | head -5; echo "restoreconfig (clear_existing=true):"; HOME=$h targetcli restoreconfig /etc/rtslib-fb-target/saveconfig.json clear_existing=true 2>&1 | tail -2; rm -rf $h' </dev/null
rt_saved >"$OUT/saved.after-restoreconfig.json"
lab_ssh 'python3 -c "import json,rtslib_fb; print(json.dumps(rtslib_fb.RTSRoot().dump()))"' </dev/null >"$OUT/live.after-restoreconfig.json"
python3 "$HERE/normalize.py" "$OUT/saved.plan.json" "$OUT/live.after-restoreconfig.json" || true

for form in plan targetcli; do
  python3 "$HERE/gen.py" "$form" remove "$N" --delete-target >"$OUT/remove.$form"
  if [[ $form == plan ]]; then
    t=$(rt_apply "$OUT/remove.$form" "$OUT/remove.$form.out"); rt_check "$OUT/remove.$form.out"
    rt_saved >"$OUT/saved.removed.$form.json"
    # put the same objects back for the targetcli removal (pb-blk was not removed: that change fails, as it should)
    t2=$(rt_apply "$OUT/create.plan" "$OUT/create.plan.again.out"); rt_check "$OUT/create.plan.again.out"
  else t=$(rt_targetcli "$OUT/remove.$form" "$OUT/remove.$form.out"); rt_saved >"$OUT/saved.removed.$form.json"; fi
  echo "remove $N via $form: wall/sync s = $t"
done
python3 "$HERE/normalize.py" "$OUT/saved.removed.targetcli.json" "$OUT/saved.removed.plan.json" || true
lab_ssh 'python3 -c "from rtslib_fb import RTSRoot; RTSRoot().clear_existing(confirm=True)"; lvremove -q -y pureboot/pb-blk' </dev/null
echo "outputs in $OUT"
