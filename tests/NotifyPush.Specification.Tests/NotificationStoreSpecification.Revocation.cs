using NotifyPush.Core.Storage;
using Xunit;

namespace NotifyPush.Specification.Tests;

public abstract partial class NotificationStoreSpecification
{
    /// <summary>The store under test as the token revocation store it also is.</summary>
    private ITokenRevocationStore Revocations =>
        Store as ITokenRevocationStore ?? throw new Xunit.Sdk.XunitException($"{Store.GetType().Name} does not implement {nameof(ITokenRevocationStore)}.");

    [Fact]
    public async Task TokensRevokedBefore_OfAUserNeverRevoked_IsNull()
    {
        Assert.Null(await Revocations.GetTokensRevokedBeforeAsync(NewUser(), TestCancellation).WaitAsync(TestTimeout));
    }

    [Fact]
    public async Task RevokeTokens_IsReadBackExactly_ForThatUserOnly()
    {
        var (userId, other) = (NewUser(), NewUser());
        var now = UtcNow();

        var inForce = await Revocations.RevokeTokensAsync(userId, now, TestCancellation).WaitAsync(TestTimeout);

        Assert.Equal(now, inForce);
        Assert.Equal(now, await Revocations.GetTokensRevokedBeforeAsync(userId, TestCancellation).WaitAsync(TestTimeout));
        Assert.Null(await Revocations.GetTokensRevokedBeforeAsync(other, TestCancellation).WaitAsync(TestTimeout));
    }

    [Fact]
    public async Task TokensRevokedBefore_OfManyUsers_AnswersEachRevokedUserAndLeavesTheOthersOut()
    {
        var (first, second, never) = (NewUser(), NewUser("ünï-☃"), NewUser());
        var now = UtcNow();
        await Revocations.RevokeTokensAsync(first, now, TestCancellation).WaitAsync(TestTimeout);
        await Revocations.RevokeTokensAsync(second, now.AddMinutes(1), TestCancellation).WaitAsync(TestTimeout);

        var instants = await Revocations.GetTokensRevokedBeforeAsync([first, second, never], TestCancellation).WaitAsync(TestTimeout);

        Assert.Equal(2, instants.Count);
        Assert.Equal(now, instants[first]);
        Assert.Equal(now.AddMinutes(1), instants[second]);
        Assert.False(instants.ContainsKey(never));
        Assert.Empty(await Revocations.GetTokensRevokedBeforeAsync(Array.Empty<string>(), TestCancellation).WaitAsync(TestTimeout));
    }

    [Fact]
    public async Task RevokeTokens_Later_RaisesTheInstant_AndEarlier_NeverLowersIt()
    {
        var userId = NewUser();
        var first = UtcNow();
        var later = first.AddMinutes(5);

        await Revocations.RevokeTokensAsync(userId, first, TestCancellation).WaitAsync(TestTimeout);
        Assert.Equal(later, await Revocations.RevokeTokensAsync(userId, later, TestCancellation).WaitAsync(TestTimeout));

        // An older revocation (a slow replica's, a retry) leaves the later one in force and says so.
        Assert.Equal(later, await Revocations.RevokeTokensAsync(userId, first, TestCancellation).WaitAsync(TestTimeout));
        Assert.Equal(later, await Revocations.GetTokensRevokedBeforeAsync(userId, TestCancellation).WaitAsync(TestTimeout));
    }

    [Fact]
    public async Task RevokeTokens_ForAUserWithAStream_LeavesTheStreamAlone()
    {
        var userId = NewUser();
        await AppendOneAsync(userId);

        await Revocations.RevokeTokensAsync(userId, UtcNow(), TestCancellation).WaitAsync(TestTimeout);

        Assert.Equal(1, (await StateAsync(userId)).LastSeq);
    }
}
