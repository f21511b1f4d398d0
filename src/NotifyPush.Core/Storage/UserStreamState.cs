namespace NotifyPush.Core.Storage;

/// <summary>The counters of one user's stream.</summary>
/// <param name="LastSeq">Highest seq ever assigned to the user (0 when none).</param>
/// <param name="AckedSeq">Highest seq the user acknowledged (cumulative; never above <paramref name="LastSeq"/>).</param>
/// <param name="PrunedSeq">Highest seq the store has removed (retention or expiry); a resume point below it cannot be fully recovered.</param>
public readonly record struct UserStreamState(long LastSeq, long AckedSeq, long PrunedSeq)
{
    /// <summary>The state of a user the store has never seen.</summary>
    public static UserStreamState Empty => default;
}
