namespace NotifyPush.Core.Delivery;

/// <summary>Where a new socket's replay starts: after an explicit seq (<c>since</c>), or after the user's acknowledged seq.</summary>
public readonly record struct ResumePoint(long? Since)
{
    /// <summary>Replay what the user has not acknowledged.</summary>
    public static ResumePoint Unacknowledged => default;

    /// <summary>Replay everything after <paramref name="seq"/>.</summary>
    public static ResumePoint After(long seq) => new(seq);
}
