namespace NotifyPush.Testing;

/// <summary>Bounds every await in a test, so a hang fails the test instead of the run.</summary>
public static class TaskTimeoutExtensions
{
    /// <summary>How long one awaited step may take.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    public static Task<T> WithTimeout<T>(this ValueTask<T> task, TimeSpan? timeout = null) => task.AsTask().WaitAsync(timeout ?? DefaultTimeout);

    public static Task<T> WithTimeout<T>(this Task<T> task, TimeSpan? timeout = null) => task.WaitAsync(timeout ?? DefaultTimeout);

    public static Task WithTimeout(this Task task, TimeSpan? timeout = null) => task.WaitAsync(timeout ?? DefaultTimeout);
}
