#if PUREBOOT_TOOL
// One of several PureBoot processes started at the same moment by ReliabilityTests (concurrency test).
// The integration test project compiles every *.cs under tests/Integration: this file is empty there (no PUREBOOT_TOOL).
//
// usage: dotnet ReliabilityWorker.dll --db FILE --backend NAME --prefix P --count N --nodes K --size BYTES
//                                     --mac-byte XX --control-dir DIR --start-at UNIX_MS
// The secret key comes from PUREBOOT_SECRET_KEY (base64 of 32 bytes), as for any PureBoot process.
// Prints progress lines, then one line "@@RESULT {json}". Exit 0 when every LUN was created and assigned.
using System.Diagnostics;
using System.Text.Json;
using PureBoot.Core.Operations;
using PureBoot.Core.Transport;
using PureBoot.Core.Transport.Shell;

var a = new Dictionary<string, string>();
for (int i = 0; i + 1 < args.Length; i += 2) a[args[i].TrimStart('-')] = args[i + 1];
string Arg(string k) => a.TryGetValue(k, out var v) ? v : throw new ArgumentException($"missing --{k}");

var prefix = Arg("prefix");
var count = int.Parse(Arg("count"));
var nodes = int.Parse(Arg("nodes"));
var size = long.Parse(Arg("size"));
var macByte = Arg("mac-byte");
void Say(string s) { lock (a) Console.WriteLine($"[{prefix} {DateTime.UtcNow:HH:mm:ss.fff}] {s}"); }

var startAt = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(Arg("start-at")));
var wait = startAt - DateTimeOffset.UtcNow;
if (wait > TimeSpan.Zero) await Task.Delay(wait);
Say($"started (pid {Environment.ProcessId}, {(DateTimeOffset.UtcNow - startAt).TotalMilliseconds:0} ms after the common start)");

var sw = Stopwatch.StartNew();
var result = new Dictionary<string, object?> { ["prefix"] = prefix, ["pid"] = Environment.ProcessId };
int code;
try
{
    using var engine = PureBootEngine.Open(Arg("db"), new ShellTargetHostConnector(new ShellOptions { ControlDirectory = Arg("control-dir"), Log = Say, LockWaitSeconds = 1800 }));
    engine.Log = Say;
    for (int n = 0; n < nodes; n++) engine.AddNode($"{prefix}-node{n}", $"52:54:{macByte}:00:00:{n:x2}");
    var names = Enumerable.Range(0, count).Select(i => $"{prefix}-{i:00}").ToList();
    var t0 = sw.Elapsed;
    var created = await engine.CreateLunsAsync(names.Select(n => new LunCreateRequest { Name = n, SizeBytes = size, Backend = Arg("backend") }).ToList());
    var t1 = sw.Elapsed;
    Say($"create: {created.Count(o => o.Succeeded)}/{count} in {(t1 - t0).TotalSeconds:0.0} s");
    var assigned = await engine.AssignLunsAsync(created.Where(o => o.Succeeded)
        .Select((o, i) => new LunAssignRequest(o.Name, $"{prefix}-node{i % nodes}")).ToList());
    var t2 = sw.Elapsed;
    Say($"assign: {assigned.Count(o => o.Succeeded)}/{count} in {(t2 - t1).TotalSeconds:0.0} s");
    result["created"] = created.Count(o => o.Succeeded);
    result["assigned"] = assigned.Count(o => o.Succeeded);
    result["createSeconds"] = Math.Round((t1 - t0).TotalSeconds, 1);
    result["assignSeconds"] = Math.Round((t2 - t1).TotalSeconds, 1);
    result["failures"] = created.Concat(assigned).Where(o => !o.Succeeded).Select(o => o.ToString()).ToList();
    code = created.All(o => o.Succeeded) && assigned.Count == count && assigned.All(o => o.Succeeded) ? 0 : 1;
}
catch (Exception e)
{
    result["exception"] = e.ToString();
    code = 2;
}
result["seconds"] = Math.Round(sw.Elapsed.TotalSeconds, 1);
Console.WriteLine("@@RESULT " + JsonSerializer.Serialize(result));
return code;
#endif
