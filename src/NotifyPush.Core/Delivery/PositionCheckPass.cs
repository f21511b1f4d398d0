namespace NotifyPush.Core.Delivery;

/// <summary>What one position check did (<see cref="PositionCheckService.RunOnceAsync"/>).</summary>
/// <param name="Users">Local users whose stream head was read.</param>
/// <param name="Queries">Store queries it took (one per batch).</param>
/// <param name="CatchUps">Sockets found behind their stream's head and asked to catch up.</param>
public readonly record struct PositionCheckPass(int Users, int Queries, int CatchUps);
