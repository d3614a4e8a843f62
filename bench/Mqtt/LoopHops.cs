namespace Imv.Bench.Mqtt;

/// <summary>Where one control loop's time went (bench <c>mqtt --breakdown</c>): the device's publication, the loop
/// grain's step (after the gateway, the router, the twin's ingest with its state write and the wake-up), the twin
/// issuing the command (the loop read the twin and submitted), the gateway delivering it (the twin's state write
/// and the publication), and the device receiving it. Wall-clock times of one process. <paramref name="Collections"/>:
/// garbage collections (any generation) the process made during the loop.</summary>
internal sealed record LoopHops(double TotalMs, DateTimeOffset Published, DateTimeOffset Stepped, DateTimeOffset? Issued, DateTimeOffset? Delivered, DateTimeOffset Received, int Collections)
{
    private static readonly (string Name, Func<LoopHops, double?> Of)[] Segments =
    [
        ("device -> loop step", h => (h.Stepped - h.Published).TotalMilliseconds),
        ("loop step -> issued", h => h.Issued is { } i ? (i - h.Stepped).TotalMilliseconds : null),
        ("issued -> delivered", h => h.Issued is { } i && h.Delivered is { } d ? (d - i).TotalMilliseconds : null),
        ("delivered -> device", h => h.Delivered is { } d ? (h.Received - d).TotalMilliseconds : null),
    ];

    /// <summary>Prints, per segment, its median and p99 over all loops and its mean over the slowest 1 %.</summary>
    public static void Report(List<LoopHops> hops)
    {
        var slowest = hops.OrderByDescending(h => h.TotalMs).Take(Math.Max(1, hops.Count / 100)).ToList();
        Console.Error.WriteLine($"mqtt: breakdown of {hops.Count:N0} loops (slowest 1 %: {slowest.Count} loops, {slowest.Average(h => h.TotalMs):F2} ms on average)");
        foreach (var (name, of) in Segments)
        {
            var all = hops.Select(of).OfType<double>().Order().ToArray();
            if (all.Length == 0) continue;
            var tail = slowest.Select(of).OfType<double>().DefaultIfEmpty(double.NaN).Average();
            Console.Error.WriteLine($"mqtt:   {name,-22} p50 {all[all.Length / 2],7:F3} ms  p99 {all[Math.Min(all.Length - 1, (int)(all.Length * 0.99))],7:F3} ms  slowest 1 %: {tail,7:F3} ms");
        }
        static double WithCollection(IReadOnlyCollection<LoopHops> loops) => 100.0 * loops.Count(h => h.Collections > 0) / loops.Count;
        Console.Error.WriteLine($"mqtt:   a garbage collection ran during {WithCollection(hops):F1} % of all loops and {WithCollection(slowest):F1} % of the slowest 1 %");
    }
}
