namespace NotifyPush.Testing;

/// <summary>User ids for tests: each test owns its data, so each user id is new (a prefix says which test made it).</summary>
public static class TestUsers
{
    /// <summary>A user id no other test uses, e.g. <c>user-3f2a…</c>.</summary>
    public static string NewUser(string prefix = "user") => $"{prefix}-{Guid.NewGuid():N}";
}
