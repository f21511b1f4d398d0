using System.Runtime.InteropServices;

namespace NotifyPush.Bench.Servers;

/// <summary>SIGTERM for a child replica, so it shuts down as under an orchestrator (Process.Kill only sends SIGKILL).</summary>
internal static class Signals
{
    private const int SigTerm = 15;

    public static void Terminate(int pid)
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            _ = NativeMethods.kill(pid, SigTerm);
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code enabled for one call.
        internal static extern int kill(int pid, int signal);
#pragma warning restore SYSLIB1054
    }
}
