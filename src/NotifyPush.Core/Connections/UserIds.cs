namespace NotifyPush.Core.Connections;

/// <summary>
/// The one rule for user ids, applied to the claim of a socket's token and to every id the service API accepts,
/// so a user who can connect can always be sent to (and the reverse).
/// </summary>
public static class UserIds
{
    /// <summary>Longest user id, in characters (OpenID Connect caps <c>sub</c> at 255 ASCII characters).</summary>
    public const int MaxLength = 255;

    /// <summary>Why <paramref name="userId"/> is not a valid user id, or null when it is.</summary>
    public static string? Validate(string? userId)
    {
        if (string.IsNullOrWhiteSpace(userId))
        {
            return "A user id must not be empty.";
        }

        if (userId.Length > MaxLength)
        {
            return $"A user id must be at most {MaxLength} characters.";
        }

        if (userId is "." or "..")
        {
            // Paths cannot carry them: clients and servers remove "." and ".." segments, escaped or not, so such a
            // user could connect but never be reached through /api/users/{userId}/….
            return "A user id must not be \".\" or \"..\".";
        }

        return userId.Any(char.IsControl) ? "A user id must not contain control characters." : null;
    }
}
