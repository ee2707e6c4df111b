using PureBoot.Core.Model;
using PureBoot.Core.Secrets;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Operations;

/// <summary>Applies a <see cref="ChapChange"/> to a group of LUNs that share one ACL (and so one credential), sealed.</summary>
internal static class ChapChanges
{
    public static void Apply(EngineContext ctx, List<Lun> group, ChapChange c)
    {
        var first = group[0];
        var enable = c.Enable ?? first.ChapEnabled;
        var mutual = enable && (c.Mutual ?? first.MutualChapEnabled);
        if (c.Mutual == true && !enable) throw new ValidationException("MutualChap", "mutual CHAP needs CHAP enabled.");
        var user = enable ? InputValidator.ChapUser(c.User ?? first.ChapUser ?? first.Name, "ChapUser") : null;
        var mutualUser = mutual ? InputValidator.ChapUser(c.MutualUser ?? first.MutualChapUser ?? first.BackendName + "-target", "MutualChapUser") : null;
        if (c.Secret is not null) ChapSecrets.Validate(c.Secret, "ChapSecret");
        if (c.MutualSecret is not null) ChapSecrets.Validate(c.MutualSecret, "MutualChapSecret");
        var current = ctx.Chap.Open(first);
        string? secret = null, mutualSecret = null;
        if (enable) secret = c.Secret ?? (c.Rotate || current is null ? ChapSecrets.Generate() : current.Secret);
        if (mutual) mutualSecret = c.MutualSecret ?? (c.Rotate || current?.MutualSecret is null ? ChapSecrets.Generate() : current.MutualSecret);
        if (mutual && mutualSecret == secret) throw new ValidationException("MutualChapSecret", "the mutual secret must differ from the initiator's secret.");
        foreach (var l in group)
        {
            l.ChapEnabled = enable; l.ChapUser = user;
            l.MutualChapEnabled = mutual; l.MutualChapUser = mutualUser;
            ctx.Chap.Seal(l, secret, mutualSecret);
        }
    }
}
