namespace NotifyPush.Core.Connections;

/// <summary>The answer of <see cref="ConnectionRegistry.TryAdmitAsync"/>: a slot, or why there is none.</summary>
public readonly record struct Admission(RegistrySlot? Slot, AdmissionRefusal Refusal);

/// <summary>Why a handshake was not admitted.</summary>
public enum AdmissionRefusal
{
    /// <summary>Admitted.</summary>
    None,

    /// <summary>The replica is shutting down (503, connect elsewhere).</summary>
    Draining,

    /// <summary>The replica holds its maximum of sockets (503 with Retry-After).</summary>
    ReplicaFull,

    /// <summary>The user holds the maximum of sockets on this replica (429).</summary>
    UserFull,
}
