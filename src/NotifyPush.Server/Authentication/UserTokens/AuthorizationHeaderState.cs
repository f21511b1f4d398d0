namespace NotifyPush.Server.Authentication;

/// <summary>What <see cref="AuthorizationHeader.Read"/> found.</summary>
internal enum AuthorizationHeaderState
{
    Absent = 0,
    Present = 1,
    Malformed = 2,
}
