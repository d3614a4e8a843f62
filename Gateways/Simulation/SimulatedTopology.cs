namespace Imv.Gateways.Simulation;

/// <summary>The organization tree the simulator simulates: sites, their lines, the lines' machines. The silo
/// builds the virtual organizations from it (site = factory, line = line, machines attached to their line).</summary>
/// <param name="Sites">The sites, in order.</param>
public sealed record SimulatedTopology(IReadOnlyList<SimulatedSite> Sites)
{
    /// <summary>Every machine twin id, in order.</summary>
    public IEnumerable<string> MachineIds => Sites.SelectMany(s => s.Lines).SelectMany(l => l.Machines);

    /// <summary>The line (organization id) a machine belongs to, or null when it is not simulated here.</summary>
    public string? LineOf(string machineId) =>
        Sites.SelectMany(s => s.Lines).FirstOrDefault(l => l.Machines.Contains(machineId, StringComparer.Ordinal))?.Id;

    /// <summary>Builds the tree from the options.</summary>
    public static SimulatedTopology From(SimulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var sites = new List<SimulatedSite>(options.Sites);
        for (var s = 1; s <= options.Sites; s++)
        {
            var lines = new List<SimulatedLine>(options.LinesPerSite);
            for (var l = 1; l <= options.LinesPerSite; l++)
            {
                var machines = new List<string>(options.MachinesPerLine);
                for (var m = 1; m <= options.MachinesPerLine; m++) machines.Add(options.FormatTwinId(s, l, m));
                lines.Add(new SimulatedLine($"site-{s}.line-{l:00}", $"Site {s} line {l}", machines));
            }
            sites.Add(new SimulatedSite($"site-{s}", $"Site {s}", lines));
        }
        return new SimulatedTopology(sites);
    }
}

/// <summary>A simulated site (a factory).</summary>
/// <param name="Id">Its organization id, e.g. <c>site-1</c>.</param>
/// <param name="Name">Its display name.</param>
/// <param name="Lines">Its lines.</param>
public sealed record SimulatedSite(string Id, string Name, IReadOnlyList<SimulatedLine> Lines);

/// <summary>A simulated production line.</summary>
/// <param name="Id">Its organization id, e.g. <c>site-1.line-03</c>.</param>
/// <param name="Name">Its display name.</param>
/// <param name="Machines">The twin ids of its machines.</param>
public sealed record SimulatedLine(string Id, string Name, IReadOnlyList<string> Machines);
