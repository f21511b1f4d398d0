using System.Reflection;
using System.Runtime.ExceptionServices;
using NotifyPush.Core.Storage;
using Npgsql;

namespace NotifyPush.Server.Tests.Budgets;

/// <summary>
/// A real store whose stream reads for chosen users are slow the way a large replay is: each one holds a pooled
/// connection of the store's own data source until the test releases it, then reads for real. Every other call goes
/// straight to the store. A proxy rather than a class, so it follows the store interface as it grows.
/// </summary>
public class HeldReadsStore : DispatchProxy
{
    private static readonly MethodInfo HoldThenReadMethod = typeof(HeldReadsStore).GetMethod(nameof(HoldThenReadAsync), BindingFlags.NonPublic | BindingFlags.Instance)!;

    private INotificationStore _target = null!;
    private NpgsqlDataSource _pool = null!;
    private Func<string, bool> _holds = null!;
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _held;
    private int _maxHeld;

    /// <summary>Reads being held now, each holding a pooled connection.</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>The most reads held at once so far.</summary>
    public int MaxHeld => Volatile.Read(ref _maxHeld);

    public static HeldReadsStore Create(INotificationStore target, NpgsqlDataSource pool, Func<string, bool> holds)
    {
        var store = (HeldReadsStore)(object)Create<INotificationStore, HeldReadsStore>();
        store._target = target;
        store._pool = pool;
        store._holds = holds;
        return store;
    }

    /// <summary>The store as the server sees it.</summary>
    public INotificationStore AsStore() => (INotificationStore)(object)this;

    /// <summary>Lets every held read (and every later one) go on.</summary>
    public void Release() => _released.TrySetResult();

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name is nameof(INotificationStore.ReadAsync) or nameof(INotificationStore.GetStreamStateAsync)
            && args is [string userId, ..] && _holds(userId))
        {
            var result = targetMethod.ReturnType.GetGenericArguments()[0];
            return HoldThenReadMethod.MakeGenericMethod(result).Invoke(this, [targetMethod, args]);
        }

        try
        {
            return targetMethod.Invoke(_target, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
    }

    private async Task<T> HoldThenReadAsync<T>(MethodInfo method, object?[] args)
    {
        await using (await _pool.OpenConnectionAsync())
        {
            var held = Interlocked.Increment(ref _held);
            int max;
            while (held > (max = Volatile.Read(ref _maxHeld)) && Interlocked.CompareExchange(ref _maxHeld, held, max) != max)
            {
            }

            try
            {
                await _released.Task.WaitAsync(TimeSpan.FromSeconds(90));
            }
            finally
            {
                Interlocked.Decrement(ref _held);
            }
        }

        return await (Task<T>)method.Invoke(_target, args)!;
    }
}
