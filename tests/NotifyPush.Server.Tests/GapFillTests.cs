using NotifyPush.Core.Delivery;
using NotifyPush.Core.Protocol;
using NotifyPush.Core.Storage;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests;

/// <summary>
/// A gap fill skips only a seq the store reports gone (expired, or at or below the stream's pruned seq); any other
/// seq it did not read is read again, or the socket closes with 1011 so the client resumes. One replica, SQLite.
/// </summary>
public sealed class GapFillTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task GapFill_WhenTheStoreMissesASeqItNeverRemoved_ReadsAgainAndSendsItInsteadOfSkippingIt()
    {
        RowHidingStore? hiding = null;
        using var server = new NotifyPushTestServer(services: services => RowHidingStore.Install(services, store => hiding = store));
        using var api = server.CreateServiceClient();
        var user = NewUser();
        await using var socket = await TestSocket.ConnectAsync(server, user);
        await socket.ReadUntilSyncedAsync();

        // Seq 1 is committed without a doorbell (its sender stopped before publishing), and the first read that
        // would return it does not: the live seq 2 finds a gap the store has not (yet) filled.
        Assert.NotNull(hiding);
        hiding.Hide(user, 1, reads: 1);
        await AppendWithoutDoorbellAsync(server, user);
        await ServiceApi.SendAsync(api, user);

        var frames = await socket.ReadNotificationsAsync(2, Timeout);
        Assert.Equal([1L, 2L], frames.Select(f => f.GetProperty("seq").GetInt64()));
        Assert.Equal(1, hiding.RowsHidden);
        Assert.False(socket.Closed.IsCompleted, "the socket stays open");
    }

    [Fact]
    public async Task GapFill_WhenTheStoreNeverReturnsASeqItDidNotRemove_ClosesWith1011AndSendsNothingPastIt()
    {
        RowHidingStore? hiding = null;
        using var server = new NotifyPushTestServer(services: services => RowHidingStore.Install(services, store => hiding = store));
        using var api = server.CreateServiceClient();
        var user = NewUser();
        await using var socket = await TestSocket.ConnectAsync(server, user);
        await socket.ReadUntilSyncedAsync();

        Assert.NotNull(hiding);
        hiding.Hide(user, 1, reads: int.MaxValue);
        await AppendWithoutDoorbellAsync(server, user);
        await ServiceApi.SendAsync(api, user);

        Assert.Equal(CloseCodes.InternalError, await socket.WaitForCloseAsync(Timeout));
        Assert.Empty(socket.ReceivedSeqs);
        Assert.True(hiding.RowsHidden >= 2, $"the fill read again before giving up ({hiding.RowsHidden} reads left seq 1 out)");
    }

    [Fact]
    public async Task GapFill_WhenTheMissingSeqWasPruned_SkipsItAndSendsTheNext()
    {
        using var server = new NotifyPushTestServer();
        using var api = server.CreateServiceClient();
        var user = NewUser();
        await using var socket = await TestSocket.ConnectAsync(server, user);
        await socket.ReadUntilSyncedAsync();

        // Seq 1, without a doorbell, expired an hour ago; retention removes it and raises the pruned seq to 1.
        var now = DateTimeOffset.UtcNow;
        await AppendWithoutDoorbellAsync(server, user, now.AddHours(-2), now.AddHours(-1));
        await server.GetService<RetentionService>().RunOnceAsync(CancellationToken.None).WaitAsync(Timeout);
        Assert.Equal(1, (await server.GetService<INotificationStore>().GetStreamStateAsync(user, CancellationToken.None).WaitAsync(Timeout)).PrunedSeq);
        await ServiceApi.SendAsync(api, user);

        var next = await socket.NextOfTypeAsync("notification", Timeout);
        Assert.Equal(2, next.GetProperty("seq").GetInt64());
        Assert.False(socket.Closed.IsCompleted, "the socket stays open");
    }

    [Fact]
    public async Task GapFill_WhenTheMissingSeqExpiredButIsStillStored_SkipsItWithoutWaitingForRetention()
    {
        using var server = new NotifyPushTestServer();
        using var api = server.CreateServiceClient();
        var user = NewUser();
        await using var socket = await TestSocket.ConnectAsync(server, user);
        await socket.ReadUntilSyncedAsync();

        var now = DateTimeOffset.UtcNow;
        await AppendWithoutDoorbellAsync(server, user, now.AddHours(-2), now.AddHours(-1));
        Assert.Equal(0, (await server.GetService<INotificationStore>().GetStreamStateAsync(user, CancellationToken.None).WaitAsync(Timeout)).PrunedSeq);
        await ServiceApi.SendAsync(api, user);

        var next = await socket.NextOfTypeAsync("notification", Timeout);
        Assert.Equal(2, next.GetProperty("seq").GetInt64());
        Assert.False(socket.Closed.IsCompleted, "the socket stays open");
    }

    /// <summary>Commits a notification straight into the server's store: no doorbell rings for it.</summary>
    private static async Task AppendWithoutDoorbellAsync(NotifyPushTestServer server, string user, DateTimeOffset? createdAt = null, DateTimeOffset? expiresAt = null)
    {
        var created = createdAt ?? DateTimeOffset.UtcNow;
        var request = new AppendRequest("test", null, "hash", [user], "test.silent", """{"silent":true}""", created, expiresAt ?? created.AddDays(1));
        await server.GetService<INotificationStore>().AppendAsync(request, CancellationToken.None).WaitAsync(Timeout);
    }
}
