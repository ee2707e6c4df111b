#!/usr/bin/env python3
"""Compares two saved configs (saveconfig.json) after replacing what is random per run: storage object WWNs
(unit serials) and the alias names of LUN / mapped LUN links; lists are sorted (a live dump lists storage objects
in configfs order, which a restore changes). usage: normalize.py A.json B.json
Prints 'identical' or a unified diff; exit status 0 / 1."""
import difflib, json, sys


def norm(path):
    d = json.load(open(path))
    for so in d.get("storage_objects", []):
        so["wwn"] = "<random unit serial>"
    d.get("storage_objects", []).sort(key=lambda so: (so["plugin"], so["name"]))
    d.get("targets", []).sort(key=lambda t: (t["fabric"], t["wwn"]))
    for t in d.get("targets", []):
        for tpg in t.get("tpgs", []):
            for lun in tpg.get("luns", []):
                lun["alias"] = "<random>"
            tpg.get("luns", []).sort(key=lambda x: x["index"])
            tpg.get("portals", []).sort(key=lambda x: (x["ip_address"], x["port"]))
            tpg.get("node_acls", []).sort(key=lambda x: x["node_wwn"])
            for acl in tpg.get("node_acls", []):
                for m in acl.get("mapped_luns", []):
                    m["alias"] = "<random>"
                acl.get("mapped_luns", []).sort(key=lambda x: x["index"])
    return json.dumps(d, sort_keys=True, indent=2).splitlines()


a, b = norm(sys.argv[1]), norm(sys.argv[2])
if a == b:
    print("identical (%d lines)" % len(a))
    sys.exit(0)
print("\n".join(difflib.unified_diff(a, b, sys.argv[1], sys.argv[2], lineterm="")))
sys.exit(1)
