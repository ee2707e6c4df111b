#!/usr/bin/env python3
"""(d) Drive `ssh root@vm 'bash -s'` as a two-phase conversation on ONE connection:
phase 1 takes a flock and prints live state, ends with a marker; the driver reads it,
then composes phase 2 (targetcli heredoc inside { ...; } </dev/null) and sends it.
Also checks that the lock is held between phases (a second connection cannot take it)
and is released when the first connection ends, and demonstrates the pitfalls.
Usage: python3 d-interactive.py  (reads /tmp/pureboot-lab/lab.env or $LAB_ENV)"""
import os, subprocess, time

env = {}
for line in open(os.environ.get("LAB_ENV", "/tmp/pureboot-lab/lab.env")):
    if "=" in line and not line.startswith(("#", "export")):
        k, v = line.strip().split("=", 1)
        env[k] = v


def ssh(user="root", key=None):
    return ["ssh", "-i", key or env["PUREBOOT_LAB_ROOT_KEY"], "-p", env["PUREBOOT_LAB_SSH_PORT"],
            "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
            "-o", "UserKnownHostsFile=" + env["PUREBOOT_LAB_KNOWN_HOSTS"], f"{user}@127.0.0.1"]


t0 = time.time()


def log(*a):
    print(f"[{time.time()-t0:6.2f}s]", *a, flush=True)


p = subprocess.Popen(ssh() + ["bash -s"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.STDOUT, bufsize=0)


def send(text):
    log("SEND >>>\n" + text.rstrip("\n"))
    p.stdin.write(text.encode())
    p.stdin.flush()


def read_until(marker):
    out = b""
    while not out.endswith(marker.encode() + b"\n"):
        ch = p.stdout.read(1)
        if not ch:
            break
        out += ch
    log("RECV <<<\n" + out.decode().rstrip("\n"))
    return out.decode()


PHASE1 = r"""exec 2>&1
set -u
exec 9>/run/lock/pureboot-lab-test.lock
if flock -w 10 9; then echo "LOCK=acquired"; else echo "LOCK=timeout"; fi
echo "PID=$$"
python3 -c 'import json,rtslib_fb; print(json.dumps(rtslib_fb.RTSRoot().dump(), sort_keys=True))' | head -c 300; echo
# a child that reads stdin would eat the rest of the script: guard with </dev/null
cat </dev/null
echo "__PHASE1_DONE__"
"""
send(PHASE1)
read_until("__PHASE1_DONE__")

# while phase 1's connection holds the lock, a second connection must not get it
t = time.time()
r = subprocess.run(ssh() + ["flock -n /run/lock/pureboot-lab-test.lock true; echo second-connection-flock-rc=$?"],
                   capture_output=True, text=True)
log("second connection while held:", r.stdout.strip(), f"({time.time()-t:.2f}s)")

time.sleep(3)  # the driver 'thinks'; the remote bash just waits on stdin
PHASE2 = r"""{
PYTHONUNBUFFERED=1 targetcli <<'EOF' 2>&1
/backstores/fileio create name=dtest file_or_dev=/var/lib/pureboot/luns/dtest.img size=10M sparse=true
/backstores/fileio create name=dtest file_or_dev=/var/lib/pureboot/luns/dtest.img size=10M sparse=true
/backstores/fileio delete dtest
EOF
echo "TARGETCLI_RC=$?"
} </dev/null
echo "after-block: this line came from the script, proving targetcli did not eat it"
echo "__PHASE2_DONE__"
"""
send(PHASE2)
read_until("__PHASE2_DONE__")
send("exit 0\n")
p.stdin.close()
rest = p.stdout.read().decode()
rc = p.wait()
log("remaining output:", repr(rest), "ssh rc:", rc)
r = subprocess.run(ssh() + ["flock -n /run/lock/pureboot-lab-test.lock true; echo after-close-flock-rc=$?"],
                   capture_output=True, text=True)
log("after first connection closed:", r.stdout.strip())

# pitfall demos: a stdin-reading child without </dev/null eats the following script lines
p2 = subprocess.run(ssh() + ["bash -s"], input="echo one\ncat >/dev/null\necho two-never-printed\n",
                    capture_output=True, text=True)
log("PITFALL demo (cat without </dev/null):", repr(p2.stdout))
p3 = subprocess.run(ssh() + ["bash -s"], input="echo one\nhead -n1\necho three\necho four\n",
                    capture_output=True, text=True)
log("PITFALL demo (head -n1 reads the next script line):", repr(p3.stdout))
# pitfall: targetcli without its own stdin reads the rest of the bash script as commands
p4 = subprocess.run(ssh() + ["bash -s"], input="echo start\ntargetcli 2>&1 | tail -3\necho after-targetcli\nls /\n",
                    capture_output=True, text=True)
log("PITFALL demo (bare targetcli eats the script):", repr(p4.stdout))
# pitfall: an incomplete heredoc/compound command is not executed until it is complete
p5 = subprocess.Popen(ssh() + ["bash -s"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                      stderr=subprocess.STDOUT, bufsize=0)
p5.stdin.write(b"echo ready\n{ echo inside-block\n")
p5.stdin.flush()
first = p5.stdout.readline().decode()
time.sleep(3)
p5.stdin.write(b"}\necho done\n")
p5.stdin.close()
log("PITFALL demo (incomplete block waits for its closing brace):", repr(first + p5.stdout.read().decode()))
p5.wait()
