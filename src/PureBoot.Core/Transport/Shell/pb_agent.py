# PureBoot: one python per session that runs lio_snapshot.py and rtslib_apply.py in-process. A python start that
# imports rtslib_fb costs ~0.5 s under TCG (python ~0.15 s, rtslib and pyudev ~0.35 s); a restore reads live state and
# applies two plans, so three starts were half its time. Started by the session's bash (pb_py, a coproc) on first use;
# it ends when bash closes the pipe (the session ends or drops).
# Protocol: bash writes the run's arguments NUL-separated into $pb_t/agent.args - stdin file, stdout file, stderr file,
# program, its argv - then one line "run" on the agent's stdin; the agent answers one line, the exit code. The program
# runs as it would alone: its fds 0/1/2 are those files (so whatever it starts writes there too), sys.argv is its argv,
# SystemExit gives the code. An output named "fd:N" is the agent's inherited fd N: the session passes its own stdout
# as fd 8, so a program writes its reply straight into the exchange (no cat of a file: each process costs ~60 ms under
# TCG). An input file in the session's directory is consumed (removed after the run): a plan carries CHAP secrets.
# Each program makes its own rtslib objects per run: nothing read is kept between runs.
import importlib, io, os, signal, sys, traceback

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = {"lio_snapshot.py": "lio_snapshot", "rtslib_apply.py": "rtslib_apply"}


def output(name):
    if name.startswith("fd:"):
        return os.dup(int(name[3:]))
    return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)


def run(module, argv, files):
    fds = [os.open(files[0], os.O_RDONLY), output(files[1]), output(files[2])]
    for i, fd in enumerate(fds):
        os.dup2(fd, i)
        os.close(fd)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", line_buffering=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", line_buffering=True)
    sys.argv = argv
    try:
        code = module.cli()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        for f in (sys.stdout, sys.stderr):
            try:
                f.flush()
            except Exception:
                pass
    return code or 0


def main():
    # Finish a run even if the SSH connection drops mid-plan (as rtslib_apply.py alone does): LIO and the saved file agree.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    # The request and answer pipes move off fds 0/1: a program (or what it starts) must not read or write them.
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    import rtslib_common  # noqa: F401  (the import every run would pay)
    quiet = os.open(os.devnull, os.O_RDWR)
    errors = os.dup(2)  # the agent's own stderr (bash sends it to a file), given back after each run
    for line in requests:
        if line.strip() != "run":
            continue
        with open(os.path.join(HERE, "agent.args"), "rb") as f:
            args = [a.decode("utf-8", "surrogateescape") for a in f.read().split(b"\0")[:-1]]
        if len(args) < 4 or args[3] not in PROGRAMS:
            answers.write("64\n")
            answers.flush()
            continue
        try:
            code = run(importlib.import_module(PROGRAMS[args[3]]), [os.path.join(HERE, args[3])] + args[4:], args[:3])
        finally:
            if os.path.dirname(os.path.abspath(args[0])) == HERE:
                os.unlink(args[0])
        os.dup2(quiet, 0)
        os.dup2(quiet, 1)
        os.dup2(errors, 2)
        answers.write("%d\n" % code)
        answers.flush()


if __name__ == "__main__":
    main()
