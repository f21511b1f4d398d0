namespace NotifyPush.Core.Backplane;

/// <summary>What a backplane message asks the receiving replica to do.</summary>
public enum BackplaneMessageKind : byte
{
    /// <summary>
    /// Deliver <see cref="BackplaneMessage.Frame"/> (a serialized notification frame with <see cref="BackplaneMessage.Seq"/>) to
    /// the user's local sockets; without a frame, the sockets read everything up to that seq from the store.
    /// </summary>
    Notification = 1,

    /// <summary>Close every local socket of the user with close code 4003 (credential revoked / signed out).</summary>
    Disconnect = 2,
}
