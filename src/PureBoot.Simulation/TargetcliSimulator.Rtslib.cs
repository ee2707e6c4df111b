using System.Text.Json.Nodes;

namespace PureBoot.Simulation;

// The rtslib executor on a simulated host. targetcli's commands are thin wrappers over rtslib's objects, so each
// change, written as its targetcli line, is applied by the same model code, but as rtslib_apply.py runs it: no
// targetcli start (no D-Bus, no prefs, no start counted), one error per change, and rtslib's save_to_file (the same
// JSON, without targetcli's backups).
public sealed partial class TargetcliSimulator
{
    /// <summary>Applies each line as its rtslib operation; returns the error each raised (null: none).</summary>
    internal IReadOnlyList<string?> ApplyAsRtslib(IReadOnlyList<string> lines)
    {
        var errors = new List<string?>(lines.Count);
        foreach (var line in lines)
        {
            Reset();
            if (_s.TakeFault(line) is { } fault) { errors.Add(fault.Message); continue; }
            try
            {
                RunCmdline(PyStrip(line));
                errors.Add(_err.Length > 0 ? _err.ToString().Trim() : null);
            }
            catch (TcError e) { errors.Add(e.Message); }
            catch (TcCrash c) { errors.Add($"{c.PythonType}: {c.Message}"); }
        }
        return errors;
    }

    /// <summary>RTSRoot.save_to_file(): the live configuration written to the default save file.</summary>
    internal void SaveAsRtslib()
    {
        _s.AddDirectory(SimulatedHostState.ParentOf(SimulatedHostState.NormalizePath(_s.SaveConfigPath)));
        _s.Saved = PythonJson.Dumps(_s.Live) + "\n";
    }

    /// <summary>The storage object path a mapped LUN of this TPG reaches.</summary>
    internal string? StorageObjectOf(JsonObject tpg, JsonObject mappedLun)
    {
        var lun = Arr(tpg, "luns").OfType<JsonObject>().FirstOrDefault(l => Int(l, "index") == Int(mappedLun, "tpg_lun"));
        return lun is null ? null : Str(lun, "storage_object");
    }
}
