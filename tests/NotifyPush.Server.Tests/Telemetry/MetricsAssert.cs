using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Telemetry;

/// <summary>Assertions over scrapes of <c>/metrics</c>.</summary>
internal static partial class MetricsAssert
{
    /// <summary>
    /// Scrapes until <paramref name="condition"/> holds (the exporter caches a scrape for a moment, and counters move
    /// after the frames a test reads); fails with the NotifyPush lines of the last scrape.
    /// </summary>
    public static async Task<PrometheusScrape> ScrapeUntilAsync(HttpClient client, Func<PrometheusScrape, bool> condition, string what, string path = "/metrics")
    {
        PrometheusScrape? last = null;
        try
        {
            await ServiceApi.EventuallyAsync(async () => condition(last = await PrometheusScrape.ReadAsync(client, path)), what);
        }
        catch (Exception ex) when (last is not null)
        {
            var lines = last.Text.Split('\n').Where(l => l.StartsWith("notifypush_", StringComparison.Ordinal) && !l.Contains("_bucket{", StringComparison.Ordinal));
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nNotifyPush series of the last scrape:\n{string.Join('\n', lines)}");
        }

        return last!;
    }

    /// <summary>
    /// The series a dashboard or rule file reads: every name of an exported family in it (NotifyPush's, ASP.NET Core's,
    /// Kestrel's, the runtime's, Npgsql's), as the scrape lists it (a histogram's <c>_bucket</c>, <c>_sum</c>, <c>_count</c>).
    /// </summary>
    public static IReadOnlyList<string> ReferencedSeries(string text) =>
        [.. SeriesName().Matches(text).Select(m => m.Value).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    [System.Text.RegularExpressions.GeneratedRegex(@"\b(?:notifypush|http_server|kestrel|dotnet|db_client)_[a-z0-9_]+\b")]
    private static partial System.Text.RegularExpressions.Regex SeriesName();

    /// <summary>No user id appears anywhere in the scrape (names, labels, values), and no label is about users.</summary>
    public static void NoUserIdentity(PrometheusScrape scrape, params string[] userIds)
    {
        foreach (var userId in userIds)
        {
            Assert.DoesNotContain(userId, scrape.Text, StringComparison.Ordinal);
        }

        var labels = scrape.Samples.SelectMany(s => s.Labels.Keys).Distinct().ToList();
        Assert.DoesNotContain(labels, l => l.Contains("user", StringComparison.OrdinalIgnoreCase) || l.Contains("token", StringComparison.OrdinalIgnoreCase) || l.Contains("connection_id", StringComparison.OrdinalIgnoreCase));
    }
}
