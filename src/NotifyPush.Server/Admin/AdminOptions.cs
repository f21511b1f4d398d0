namespace NotifyPush.Server.Admin;

/// <summary>The operators' view at <c>/admin</c>. Section <c>NotifyPush:Admin</c>.</summary>
public sealed class AdminOptions
{
    public const string SectionName = "NotifyPush:Admin";

    /// <summary>
    /// Serve <c>/admin</c> and its data route <c>GET /api/admin/replicas</c>. Default false: an operators' page is
    /// something a deployment turns on. The page itself holds no data or secret; everything it shows comes from the
    /// service API with a service credential the operator enters.
    /// </summary>
    public bool Enabled { get; set; }
}
