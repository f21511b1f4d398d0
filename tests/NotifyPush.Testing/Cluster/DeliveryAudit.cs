namespace NotifyPush.Testing;

/// <summary>What one logical client received compared with its user's stream 1..LastSeq.</summary>
public sealed record DeliveryAudit(string UserId, long LastSeq, int Received, long Lost, int Duplicated, int OutOfOrder, IReadOnlyList<long> Missing, IReadOnlyList<long> Duplicates, IReadOnlyCollection<string> Problems)
{
    /// <summary>Exactly 1..LastSeq, each once, increasing, and no protocol problem on the way.</summary>
    public bool IsExact { get; private init; }

    public static DeliveryAudit Of(string userId, IReadOnlyList<long> received, long lastSeq, IReadOnlyCollection<string> problems)
    {
        var distinct = new HashSet<long>();
        var duplicates = new List<long>();
        var outOfOrder = 0;
        for (var i = 0; i < received.Count; i++)
        {
            if (!distinct.Add(received[i]))
            {
                duplicates.Add(received[i]);
            }

            if (i > 0 && received[i] <= received[i - 1])
            {
                outOfOrder++;
            }
        }

        var missing = new List<long>();
        for (var seq = 1L; seq <= lastSeq; seq++)
        {
            if (!distinct.Contains(seq))
            {
                missing.Add(seq);
            }
        }

        var exact = received.Count == lastSeq && missing.Count == 0 && duplicates.Count == 0 && outOfOrder == 0
            && received.All(seq => seq >= 1 && seq <= lastSeq) && problems.Count == 0;
        return new DeliveryAudit(userId, lastSeq, received.Count, missing.Count, duplicates.Count, outOfOrder, missing, duplicates, problems)
        {
            IsExact = exact,
        };
    }

    public override string ToString() =>
        $"{UserId}: stream 1..{LastSeq}, received {Received}, lost {Lost} [{Head(Missing)}], duplicated {Duplicated} [{Head(Duplicates)}], " +
        $"out of order {OutOfOrder}, problems: {(Problems.Count == 0 ? "none" : string.Join(" | ", Problems.Take(5)))}";

    private static string Head(IReadOnlyList<long> seqs) =>
        string.Join(",", seqs.Take(10)) + (seqs.Count > 10 ? ",…" : string.Empty);
}
