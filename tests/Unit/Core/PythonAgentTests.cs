using PureBoot.Core.Model;
using PureBoot.Core.Transport;
using PureBoot.Core.Transport.Shell;
using Xunit;

namespace PureBoot.Tests.Unit.Core;

/// <summary>
/// pb_agent.py and the prelude's pb_py for real in a local bash session: one python runs program after program, each
/// with its own argv, stdin, stdout (its children's too), stderr and exit code; a dead agent fails one call and the
/// next starts another. The programs here are stand-ins (no rtslib on this machine): the lab runs the real ones.
/// </summary>
public class PythonAgentTests
{
    const string StandIn = """
        import os, sys
        RUNS = 0
        def cli():
            global RUNS
            RUNS += 1
            print("argv=%r stdin=%r runs=%d pid=%d" % (sys.argv[1:], sys.stdin.read(), RUNS, os.getpid()))
            sys.stdout.flush()
            os.system("echo from-a-child")
            sys.stderr.write("warned\n")
            if sys.argv[1:2] == ["exit"]: sys.exit(3)
            if sys.argv[1:2] == ["raise"]: raise RuntimeError("boom")
            if sys.argv[1:2] == ["die"]: os.kill(os.getpid(), 9)
            return 0
        """;

    static async Task<string> Run(ShellSession s, string block) =>
        string.Join("\n", (await s.ExchangeAsync("{\n" + block + "\n} </dev/null\n", default)).SkipLast(1));

    [Fact]
    public async Task OnePythonRunsEachProgramAsItWouldRunAlone()
    {
        var connector = new ShellTargetHostConnector(new ShellOptions { LockWaitSeconds = 30 });
        await using var session = (ShellSession)await connector.OpenAsync(new Backend { Name = "local1", Transport = TransportKind.Local });
        var n = session.Nonce;
        await Run(session, ShellScripts.PythonFile(ShellScripts.PythonAgent)
            + $"cat >\"$pb_t/rtslib_common.py\" <<'PB_PY_{n}'\n# stand-in: the agent imports it first\nPB_PY_{n}\n"
            + $"cat >\"$pb_t/lio_snapshot.py\" <<'PB_PY_{n}'\n{StandIn}\nPB_PY_{n}\n");
        // An input in the session's directory is consumed (a plan carries secrets): written before each call.
        const string Call = "printf 'the plan\\n' >\"$pb_t/in\"; pb_py \"$pb_t/in\" \"$pb_t/out\" \"$pb_t/err\" lio_snapshot.py";
        const string Show = "echo \"rc=$?\"; [ -e \"$pb_t/in\" ] || echo consumed; cat \"$pb_t/out\"; cat \"$pb_t/err\"";

        var first = await Run(session, $"{Call} 'a b' \"it's\" '' $'two\\nlines'; {Show}");
        Assert.Contains("rc=0", first);
        Assert.Contains("argv=['a b', \"it's\", '', 'two\\nlines'] stdin='the plan\\n' runs=1", first);
        Assert.Contains("from-a-child", first);     // a child's fd 1 is the program's stdout file, not the agent's pipe
        Assert.Contains("warned", first);
        Assert.Contains("consumed", first);
        var pid = first.Split("pid=")[1].Split('\n')[0];

        var second = await Run(session, $"{Call} exit; {Show}");
        Assert.Contains("rc=3", second);
        Assert.Contains($"runs=2 pid={pid}", second);  // the same python: the import is paid once

        var third = await Run(session, $"{Call} raise; {Show}");
        Assert.Contains("rc=1", third);
        Assert.Contains("RuntimeError: boom", third);
        Assert.DoesNotContain("argv=['exit']", third);  // each run's files start empty

        // fd:8 is the session's reply stream: the program's output arrives in the exchange itself.
        var direct = await Run(session, "pb_py /dev/null fd:8 \"$pb_t/err\" lio_snapshot.py direct; echo \"rc=$?\"");
        Assert.Matches(@"argv=\['direct'\] stdin='' runs=4 pid=\d+\nfrom-a-child\nrc=0", direct);

        var unknown = await Run(session, "pb_py /dev/null \"$pb_t/out\" \"$pb_t/err\" rm.py; echo \"rc=$?\"");
        Assert.Contains("rc=64", unknown);

        // An agent found dead is started again before the call.
        var restarted = await Run(session, $"kill -9 \"$pb_agent\"; wait \"$pb_agent\" 2>/dev/null; {Call} x; {Show}");
        Assert.Contains("rc=0", restarted);
        Assert.Contains("runs=1", restarted);
        Assert.DoesNotContain($"pid={pid}", restarted);

        // An agent that dies in a run fails that call (70, nothing half-read as output); the session's bash lives on
        // and the next call starts another.
        var died = await Run(session, $"{Call} die; {Show}");
        Assert.Contains("rc=70", died);
        Assert.DoesNotContain("argv=", died);
        var again = await Run(session, $"{Call} y; {Show}");
        Assert.Contains("rc=0", again);
        Assert.Contains("argv=['y'] stdin='the plan\\n' runs=1", again);
    }

    [Fact]
    public async Task ALiveReadRunsItsProbesBesideIt_AndAHostWithoutRtslibIsToldSo()
    {
        var dir = Directory.CreateTempSubdirectory("pb-agent-").FullName;
        try
        {
            var b = new Backend { Name = "local1", Transport = TransportKind.Local, Storage = StorageKind.FileIO, StoragePath = dir };
            var connector = new ShellTargetHostConnector(new ShellOptions { LockWaitSeconds = 30 });
            await using var session = (ShellSession)await connector.OpenAsync(b);
            var probe = new ProbeSpace("a", true, dir, dir, null);
            var request = new SnapshotRequest(IncludeStorage: false, Probes: new HostStep[] { probe });

            // The real programs on a host without python3-rtslib-fb (made so here: a module first on the agent's path
            // refuses to load, as a missing package does): the agent cannot start, and the error says why.
            await Run(session, "printf 'raise ModuleNotFoundError(\"No module named rtslib_fb\")\\n' >\"$pb_t/rtslib_fb.py\"");
            var e = await Assert.ThrowsAsync<TargetHostException>(() => session.SnapshotAsync(request));
            Assert.Equal(TargetHostFailure.TargetcliMissing, e.Failure);
            Assert.Contains("python3-rtslib-fb is not installed", e.Message);

            // A stand-in for the read (the files are sent once per session, so these stay): the probe's result comes back with it.
            var n = session.Nonce;
            await Run(session, "rm -f \"$pb_t/rtslib_fb.py\"; " + $"cat >\"$pb_t/rtslib_common.py\" <<'PB_PY_{n}'\n# stand-in\nPB_PY_{n}\n"
                + $"cat >\"$pb_t/lio_snapshot.py\" <<'PB_PY_{n}'\nimport json\ndef cli():\n"
                + "    print(json.dumps({'save_file': '/etc/x.json', 'live_read': 'full', 'live': {'storage_objects': [], 'targets': []}, 'storage': [], 'sessions': []}))\n"
                + $"PB_PY_{n}\n");
            var exchanges = session.Exchanges;
            var snap = await session.SnapshotAsync(request);
            Assert.Equal(exchanges + 1, session.Exchanges);             // one exchange for both
            Assert.Equal("/etc/x.json", snap.SaveConfigPath);
            var r = Assert.Single(snap.ProbeResults);
            Assert.Same(probe, r.Step);
            Assert.True(r.Ok, r.Message);
            Assert.Contains("df ", r.Message);
            Assert.Contains("clone ", r.Message);

            Assert.Throws<ArgumentException>(() => new SnapshotRequest(Probes: new HostStep[] { new RemoveFile("a", dir + "/x") }).CheckedProbes());
        }
        finally { Directory.Delete(dir, true); }
    }
}
