using System.Collections.Concurrent;

namespace NotifyPush.Bench.Measurement;

/// <summary>Errors counted by kind, e.g. <c>connect:503</c>, <c>closed:1001</c>, <c>post:timeout</c>.</summary>
internal sealed class ErrorCounts
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public void Add(string kind, long count = 1) => _counts.AddOrUpdate(kind, count, (_, old) => old + count);

    public long Total => _counts.Values.Sum();

    public SortedDictionary<string, long> Snapshot() => new(_counts, StringComparer.Ordinal);

    public void Merge(IReadOnlyDictionary<string, long>? other)
    {
        if (other is null)
        {
            return;
        }

        foreach (var (kind, count) in other)
        {
            Add(kind, count);
        }
    }
}
