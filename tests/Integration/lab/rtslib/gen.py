#!/usr/bin/env python3
"""The objects PureBoot makes for N LUNs in Shared mode (a storage object, a TPG LUN, the node's ACL with one-way
CHAP and a mapped LUN 0 per LUN, on one locked-down target), as the rtslib plan JSON or as the targetcli script
PureBoot sends today (TargetcliCommands.cs / LunBatches.cs). CHAP secrets are throwaway test values.

usage: gen.py plan|targetcli create|remove N [--first K] [--new-target] [--delete-target] [--extras]
--extras (create only) adds what the N LUNs do not cover: a block storage object (LV pureboot/pb-blk) as LUN 900,
an ACL with mutual CHAP, authentication=0 and a write-protected mapped LUN, the default portal replaced by
10.0.2.15:3260.
"""
import argparse, json

TARGET = "iqn.2026-01.local.pureboot:bench"
LUN_DIR = "/var/lib/pureboot/luns"
SAVE_FILE = "/etc/rtslib-fb-target/saveconfig.json"
TPG_LOCKDOWN = {"generate_node_acls": "0", "authentication": "1", "demo_mode_write_protect": "1", "cache_dynamic_acls": "0"}


def names(i):
    return {"so": "pb-bench-%04d" % i, "file": "%s/pb-bench-%04d.img" % (LUN_DIR, i),
            "init": "iqn.2026-01.local.pureboot:node-%04d" % i, "user": "node-%04d" % i,
            "secret": "throwaway-%04d-pw" % i}


EXTRA_INIT = "iqn.2026-01.local.pureboot:mutual"


def plan(action, rng, new_target, delete_target, extras=False):
    ch = []
    if action == "create" and new_target:
        ch += [{"op": "create_target", "wwn": TARGET},
               {"op": "set_tpg_attributes", "target": TARGET, "attributes": TPG_LOCKDOWN},
               {"op": "create_portal", "target": TARGET, "ip": "0.0.0.0", "port": 3260}]
    for i in rng:
        n = names(i)
        acl = {"target": TARGET, "initiator": n["init"]}
        if action == "create":
            ch += [{"op": "create_storage_object", "plugin": "fileio", "name": n["so"], "dev": n["file"]},
                   {"op": "create_lun", "target": TARGET, "index": i, "plugin": "fileio", "storage_object": n["so"]},
                   dict(op="create_node_acl", **acl),
                   dict(op="set_node_acl_auth", userid=n["user"], password=n["secret"], **acl),
                   dict(op="create_mapped_lun", index=0, tpg_lun=i, write_protect=False, **acl)]
        else:
            ch += [dict(op="delete_mapped_lun", index=0, **acl), dict(op="delete_node_acl", **acl),
                   {"op": "delete_lun", "target": TARGET, "index": i},
                   {"op": "delete_storage_object", "plugin": "fileio", "name": n["so"]}]
    if extras:
        acl = {"target": TARGET, "initiator": EXTRA_INIT}
        ch += [{"op": "create_storage_object", "plugin": "block", "name": "pb-blk", "dev": "/dev/pureboot/pb-blk"},
               {"op": "create_lun", "target": TARGET, "index": 900, "plugin": "block", "storage_object": "pb-blk"},
               dict(op="create_node_acl", **acl),
               dict(op="set_node_acl_auth", userid="mu", password="throwaway-mutual-1", mutual_userid="tgt",
                    mutual_password="throwaway-mutual-2", **acl),
               dict(op="set_node_acl_attributes", attributes={"authentication": "0"}, **acl),
               dict(op="create_mapped_lun", index=3, tpg_lun=900, write_protect=True, **acl),
               {"op": "delete_portal", "target": TARGET, "ip": "0.0.0.0", "port": 3260},
               {"op": "create_portal", "target": TARGET, "ip": "10.0.2.15", "port": 3260}]
    if action == "remove" and delete_target:
        ch.append({"op": "delete_target", "wwn": TARGET})
    return json.dumps({"save_file": SAVE_FILE, "changes": ch})


def targetcli(action, rng, new_target, delete_target, extras=False):
    tpg = "/iscsi/%s/tpg1" % TARGET
    lines = ["set global auto_save_on_exit=false"]
    if action == "create" and new_target:
        lines += ["/iscsi create %s" % TARGET,  # adds 0.0.0.0:3260 by itself
                  "%s set attribute generate_node_acls=0 authentication=1 demo_mode_write_protect=1 cache_dynamic_acls=0" % tpg]
    for i in rng:
        n = names(i)
        acl = "%s/acls/%s" % (tpg, n["init"])
        if action == "create":
            lines += ["/backstores/fileio create name=%s file_or_dev=%s" % (n["so"], n["file"]),
                      "%s/luns create /backstores/fileio/%s lun=%d add_mapped_luns=false" % (tpg, n["so"], i),
                      "%s/acls create %s add_mapped_luns=false" % (tpg, n["init"]),
                      "%s set auth userid=%s password=%s" % (acl, n["user"], n["secret"]),
                      "%s create mapped_lun=0 tpg_lun_or_backstore=%d write_protect=false" % (acl, i)]
        else:
            lines += ["%s delete 0" % acl, "%s/acls delete %s" % (tpg, n["init"]),
                      "%s/luns delete lun%d" % (tpg, i), "/backstores/fileio delete %s" % n["so"]]
    if extras:
        acl = "%s/acls/%s" % (tpg, EXTRA_INIT)
        lines += ["/backstores/block create name=pb-blk dev=/dev/pureboot/pb-blk",
                  "%s/luns create /backstores/block/pb-blk lun=900 add_mapped_luns=false" % tpg,
                  "%s/acls create %s add_mapped_luns=false" % (tpg, EXTRA_INIT),
                  "%s set auth userid=mu password=throwaway-mutual-1 mutual_userid=tgt mutual_password=throwaway-mutual-2" % acl,
                  "%s set attribute authentication=0" % acl,
                  # targetcli passes write_protect through as text: "true" fails int() and maps read-write
                  "%s create mapped_lun=3 tpg_lun_or_backstore=900 write_protect=1" % acl,
                  "%s/portals delete 0.0.0.0 3260" % tpg,
                  "%s/portals create 10.0.2.15 3260" % tpg]
    if action == "remove" and delete_target:
        lines.append("/iscsi delete %s" % TARGET)
    return "\n".join(lines + ["saveconfig", "exit"]) + "\n"


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("form", choices=["plan", "targetcli"])
    p.add_argument("action", choices=["create", "remove"])
    p.add_argument("n", type=int)
    p.add_argument("--first", type=int, default=0)
    p.add_argument("--new-target", action="store_true")
    p.add_argument("--delete-target", action="store_true")
    p.add_argument("--extras", action="store_true")
    a = p.parse_args()
    f = plan if a.form == "plan" else targetcli
    print(f(a.action, range(a.first, a.first + a.n), a.new_target, a.delete_target, a.extras and a.action == "create"),
          end="" if a.form == "targetcli" else "\n")
