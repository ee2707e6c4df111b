using PureBoot.Core.Lio;
using PureBoot.Core.Model;

namespace PureBoot.Core.Secrets;

/// <summary>
/// The one place that seals and opens a LUN's CHAP secrets. The LUN's name and the direction are the sealed value's
/// context, so a value copied to another row does not open.
/// </summary>
internal sealed class LunChap
{
    readonly SecretKeyring _keyring;
    public LunChap(SecretKeyring keyring) => _keyring = keyring;

    static string Context(string lunName, bool mutual) => $"lun:{lunName}:{(mutual ? "mutual-chap" : "chap")}";

    /// <summary>The LUN's credential in plain text, or null when it has no CHAP.</summary>
    public ChapSettings? Open(Lun lun)
    {
        if (!lun.ChapEnabled || lun.ChapSecretSealed is null || lun.ChapUser is null) return null;
        var box = _keyring.Current;
        var secret = box.Open(lun.ChapSecretSealed, Context(lun.Name, false));
        var mutual = lun.MutualChapEnabled && lun.MutualChapSecretSealed is not null && lun.MutualChapUser is not null
            ? box.Open(lun.MutualChapSecretSealed, Context(lun.Name, true)) : null;
        return new ChapSettings(lun.ChapUser, secret, mutual is null ? null : lun.MutualChapUser, mutual);
    }

    /// <summary>Stores the secrets on the row, sealed (null clears).</summary>
    public void Seal(Lun lun, string? secret, string? mutualSecret)
    {
        var box = _keyring.Current;
        lun.ChapSecretSealed = secret is null ? null : box.Seal(secret, Context(lun.Name, false));
        lun.MutualChapSecretSealed = mutualSecret is null ? null : box.Seal(mutualSecret, Context(lun.Name, true));
    }

    /// <summary>Gives the LUN <paramref name="partner"/>'s CHAP settings (LUNs sharing a Shared-mode ACL share its credential). True when they differed.</summary>
    public bool Adopt(Lun lun, Lun partner)
    {
        var changed = lun.ChapEnabled != partner.ChapEnabled || lun.ChapUser != partner.ChapUser || lun.MutualChapEnabled != partner.MutualChapEnabled;
        lun.ChapEnabled = partner.ChapEnabled; lun.ChapUser = partner.ChapUser;
        lun.MutualChapEnabled = partner.MutualChapEnabled; lun.MutualChapUser = partner.MutualChapUser;
        var chap = Open(partner);
        Seal(lun, chap?.Secret, chap?.MutualSecret);
        return changed;
    }
}
