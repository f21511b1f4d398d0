namespace NotifyPush.Core.Storage;

/// <summary>What one retention pass removed.</summary>
/// <param name="Deleted">Rows removed in this pass.</param>
/// <param name="HasMore">True when the pass stopped at its batch size and more rows are due.</param>
public readonly record struct CleanupResult(int Deleted, bool HasMore);
