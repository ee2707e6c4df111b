using PureBoot.Core.Model;

namespace PureBoot.Core.Transport.Shell;

/// <summary>Turns what ssh, sudo, bash, targetcli or python printed into a <see cref="TargetHostException"/> that names the backend.</summary>
internal static class HostFailures
{
    static string Where(Backend b) => $"backend '{b.Name}' ({b.Endpoint})";

    /// <summary>The shell (ssh, sudo or bash) ended: why, from its stderr.</summary>
    public static TargetHostException Classify(Backend b, string stderr, int exitCode)
    {
        var err = Redaction.RedactText(stderr.Trim());
        var where = Where(b);
        if (err.Contains("Host key verification failed") || err.Contains("REMOTE HOST IDENTIFICATION HAS CHANGED") || err.Contains("No ED25519 host key is known") || err.Contains("host key for"))
            return new(b.Endpoint, TargetHostFailure.HostKeyRejected, $"The SSH host key of {where} is unknown or changed, and the backend's host-key policy is {b.HostKeyPolicy}: add the key to known_hosts{(b.HostKeyPolicy == HostKeyPolicy.Strict && !err.Contains("CHANGED") ? " (or set -HostKeyPolicy AcceptNew)" : "; a changed key must be checked and replaced by hand")}. ssh said: {err}");
        if (err.Contains("Permission denied") || err.Contains("Too many authentication failures"))
            return new(b.Endpoint, TargetHostFailure.AuthenticationFailed, $"SSH authentication to {where} failed. ssh said: {err}");
        if (err.Contains("sudo:") && (err.Contains("password is required") || err.Contains("not in the sudoers") || err.Contains("not allowed")))
            return new(b.Endpoint, TargetHostFailure.SudoRefused, $"sudo was refused on {where}: the user needs passwordless sudo (sudo -n). sudo said: {err}");
        if (err.Contains("Connection refused") || err.Contains("timed out") || err.Contains("Could not resolve") || err.Contains("No route to host") || err.Contains("Network is unreachable") || err.Contains("Connection closed") || err.Contains("Connection reset") || err.Contains("Broken pipe"))
            return new(b.Endpoint, TargetHostFailure.Unreachable, $"Cannot reach {where}. ssh said: {err}");
        return new(b.Endpoint, TargetHostFailure.Unreachable, $"The shell on {where} ended unexpectedly (exit code {exitCode}){(err.Length > 0 ? ": " + err : ".")}");
    }

    /// <summary>A line "@@PB-FATAL code text" from the prelude or a block.</summary>
    public static TargetHostException Fatal(Backend b, string text)
    {
        var code = text.Split(' ')[0];
        var rest = text[(text.IndexOf(' ') + 1)..];
        return code switch
        {
            "lock-timeout" => new(b.Endpoint, TargetHostFailure.LockTimeout, $"Backend '{b.Name}' ({b.Endpoint}): {rest}."),
            "targetcli-missing" => new(b.Endpoint, TargetHostFailure.TargetcliMissing, $"Backend '{b.Name}' ({b.Endpoint}): {rest}; install it, or let PureBoot use rtslib (Set-IscsiBackend {b.Name} -Executor Rtslib)."),
            "lock-denied" => new(b.Endpoint, TargetHostFailure.NeedsRoot, b.UseSudo
                ? $"Backend '{b.Name}' ({b.Endpoint}): {rest}; PureBoot needs root on the storage host."
                : $"Backend '{b.Name}' ({b.Endpoint}): {rest}; PureBoot needs root on the storage host: connect as root, or give the user passwordless sudo and set the backend's UseSudo (Set-IscsiBackend {b.Name} -UseSudo)."),
            _ => new(b.Endpoint, TargetHostFailure.ProtocolError, $"Backend '{b.Name}' ({b.Endpoint}): {rest}."),
        };
    }

    /// <summary>targetcli exited non-zero (it exits 0 when lines fail; this is a start that failed as a whole).</summary>
    public static TargetHostException Targetcli(Backend b, string output, int code)
    {
        var text = Redaction.RedactText(output.Trim());
        if (text.Contains("g-io-error-quark") || text.Contains("Could not connect"))
            return new(b.Endpoint, TargetHostFailure.DbusUnavailable, $"targetcli on {Where(b)} cannot reach the D-Bus system bus (exit {code}): start dbus on the target host, or use the rtslib executor (Set-IscsiBackend {b.Name} -Executor Rtslib). targetcli said: {LastLine(text)}");
        if (text.Contains("command not found"))
            return new(b.Endpoint, TargetHostFailure.TargetcliMissing, $"targetcli is not installed on {Where(b)} (package targetcli-fb).");
        if (text.Contains("Permission denied") || text.Contains("must be run as root"))
            return new(b.Endpoint, TargetHostFailure.NeedsRoot, $"targetcli on {Where(b)} needs root: {LastLine(text)}");
        return new(b.Endpoint, TargetHostFailure.TargetcliFailed, $"targetcli on {Where(b)} failed (exit {code}): {LastLine(text)}");
    }

    /// <summary>PureBoot's rtslib python failed as a whole (not one change: those are reported per change).</summary>
    public static TargetHostException Rtslib(Backend b, string stderr, int code, string what)
    {
        var text = Redaction.RedactText(stderr.Trim());
        if (text.Contains("No module named") && text.Contains("rtslib"))
            return new(b.Endpoint, TargetHostFailure.TargetcliMissing, $"python3-rtslib-fb is not installed on {Where(b)} (package python3-rtslib-fb, which targetcli-fb brings).");
        if (text.Contains("Permission denied") || text.Contains("PermissionError"))
            return new(b.Endpoint, TargetHostFailure.NeedsRoot, $"rtslib on {Where(b)} needs root to {what}: {LastLine(text)}");
        return new(b.Endpoint, TargetHostFailure.RtslibFailed, $"rtslib on {Where(b)} could not {what} (exit {code}): {LastLine(text)}");
    }

    public static string LastLine(string s) => s.Split('\n').LastOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "";
}
