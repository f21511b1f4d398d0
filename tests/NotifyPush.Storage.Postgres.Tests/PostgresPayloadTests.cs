namespace NotifyPush.Storage.Postgres.Tests;

/// <summary>The payload column is json, not jsonb: what the sender wrote is what the client gets.</summary>
public sealed class PostgresPayloadTests : IAsyncLifetime
{
    private readonly PostgresTestSchema _schema = PostgresTestSchema.New();
    private PostgresNotificationStore _store = null!;

    public async Task InitializeAsync() => _store = await _schema.CreateInitializedStoreAsync();

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _schema.DisposeAsync();
    }

    [Theory]
    [InlineData("""{"b":1,"a":[1, 2.50,"x"],"b":2}""")]
    [InlineData("""{ "text": "caf\u00e9 ☕", "big": 12345678901234567890 }""")]
    [InlineData("\"just a string\"")]
    [InlineData("null")]
    public async Task Read_ReturnsThePayloadTextByteForByte(string payload)
    {
        var userId = $"p-{Guid.NewGuid():N}";

        await _store.AppendAsync(StoreRequests.Append(userId, payload), TestTimeouts.Token());
        var read = await _store.ReadAsync(userId, 0, 10, StoreRequests.Now, TestTimeouts.Token());

        Assert.Equal(payload, Assert.Single(read).PayloadJson);
    }
}
