using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Imv.Gateways.Mqtt.Tests;

/// <summary>Collects log entries so tests can assert what was logged (bad input names its topic and reason).</summary>
public sealed class TestLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        Entries.Enqueue((logLevel, formatter(state, exception)));
        if (Environment.GetEnvironmentVariable("IMV_TEST_LOG") is { } path) File.AppendAllText(path, $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {formatter(state, exception)} {exception}\n");
        if (Entries.Count > 10_000) Entries.TryDequeue(out _);
    }

    public bool Contains(LogLevel minimum, params string[] fragments) =>
        Entries.Any(e => e.Level >= minimum && fragments.All(f => e.Message.Contains(f, StringComparison.Ordinal)));
}
