#!/usr/bin/env python3
"""Runs in the lab VM next to rtslib_common.py: dumps the live LIO config with stock rtslib_fb and with
rtslib_common.dump() (patched I/O), each in a fresh python, and compares them byte for byte (as saveconfig.json text).
Prints both times; exits 1 if they differ. usage: python3 check-dump-equal.py [DIR-OF-rtslib_common.py]"""
import subprocess, sys, time

here = sys.argv[1] if len(sys.argv) > 1 else "."
DUMP = "import json, rtslib_fb; print(json.dumps(rtslib_fb.RTSRoot().dump(), sort_keys=True, indent=2))"
PATCHED = ("import sys, json; sys.path.insert(0, %r); import rtslib_common as c; "
           "print(json.dumps(c.dump(c.rts.RTSRoot()), sort_keys=True, indent=2))" % here)


def run(code):
    t = time.monotonic()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return out, time.monotonic() - t


stock, t_stock = run(DUMP)
fast, t_fast = run(PATCHED)
same = stock == fast
print("stock dump %.2f s, patched dump %.2f s, %d bytes, identical: %s" % (t_stock, t_fast, len(stock), same))
sys.exit(0 if same else 1)
