using Imv.Grains.Interfaces.Replay;
using System.Globalization;
using Imv.Grains.Interfaces.ControlLoops;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Silo.Replay;

/// <summary>Checks a <see cref="ReplayRequest"/> against the grid and resolves it into a <see cref="ReplayPlan"/>:
/// every problem at once (an unknown twin, organization, loop or tag, a bad band or range, a range with nothing
/// recorded), before any sandbox starts.</summary>
public static class ReplayPlanner
{
    /// <summary>The fastest factor of recorded time a paced replay may ask for ("max" has no pacing at all).</summary>
    public const double MaxSpeed = 100_000;

    /// <summary>Parses a speed: "max" (null) or a factor such as "10x", "10", "0.5x".</summary>
    public static bool TryParseSpeed(string? text, out double? speed)
    {
        speed = null;
        if (string.IsNullOrWhiteSpace(text) || string.Equals(text.Trim(), "max", StringComparison.OrdinalIgnoreCase)) return true;
        var t = text.Trim();
        if (t.EndsWith('x') || t.EndsWith('X')) t = t[..^1];
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double f) || !double.IsFinite(f) || f <= 0 || f > MaxSpeed) return false;
        speed = f;
        return true;
    }

    /// <summary>Resolves <paramref name="request"/>; the plan, or every problem found.</summary>
    public static async Task<(ReplayPlan? Plan, IReadOnlyList<ReplayProblem> Problems)> PlanAsync(ReplayRequest request, IReplaySource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(source);
        var problems = new List<ReplayProblem>();
        void Bad(string field, string message) => problems.Add(new ReplayProblem(400, message, field));
        void Unknown(string field, string message) => problems.Add(new ReplayProblem(404, message, field));

        if (request.From is null) Bad("from", "'from' is required (an ISO 8601 time).");
        if (request.To is null) Bad("to", "'to' is required (an ISO 8601 time).");
        if (request.From is { } f0 && request.To is { } t0 && f0 >= t0) Bad("to", $"'to' ({t0:O}) must be after 'from' ({f0:O}).");
        if (!TryParseSpeed(request.Speed, out var speed))
            Bad("speed", $"'speed' must be \"max\" or a factor of recorded time such as \"1x\" or \"10x\" (above 0, at most {MaxSpeed}); was '{request.Speed}'.");
        if (request.OrganizationId is not null && request.TwinIds is not null) Bad("twinIds", "Give 'organizationId' or 'twinIds', not both.");

        // The twins.
        IReadOnlyCollection<string> ids;
        string scope;
        if (request.TwinIds is { } listed)
        {
            scope = "twins";
            ids = listed.Distinct(StringComparer.Ordinal).ToList();
            if (ids.Count == 0) Bad("twinIds", "'twinIds' is empty.");
        }
        else if (request.OrganizationId is { } org)
        {
            scope = org;
            var members = await source.OrganizationTwinsAsync(org, cancellationToken).ConfigureAwait(false);
            if (members is null) { Unknown("organizationId", $"Unknown organization '{org}'."); ids = []; }
            else
            {
                ids = members;
                if (ids.Count == 0) Bad("organizationId", $"Organization '{org}' has no twins to replay.");
            }
        }
        else
        {
            scope = "all";
            ids = source.AllTwins();
            if (ids.Count == 0) Bad("organizationId", "The grid has no twins to replay.");
        }
        var configs = new Dictionary<string, TwinConfiguration>(StringComparer.Ordinal);
        foreach (var (id, config) in await ReadAllAsync(ids, id => source.TwinAsync(id, cancellationToken)).ConfigureAwait(false))
        {
            if (config is null) Unknown("twinIds", $"Unknown twin '{id}'.");
            else configs[id] = config;
        }

        var changes = request.Changes ?? new ReplayChanges();
        var sandbox = configs.ToDictionary(p => p.Key, p => Effective(p.Value), StringComparer.Ordinal);
        await ApplyTwinChangesAsync(changes, source, configs, sandbox, Bad, Unknown, cancellationToken).ConfigureAwait(false);
        var loops = await LoopsAsync(changes, source, configs, Bad, Unknown, cancellationToken).ConfigureAwait(false);

        if (problems.Count == 0)
        {
            var from = request.From!.Value;
            var to = request.To!.Value;
            if (!configs.Keys.Any(id => source.HasRecorded(id, from, to)))
                problems.Add(new ReplayProblem(422, $"Nothing is recorded between {from:O} and {to:O} for {(scope == "all" ? "any twin" : scope == "twins" ? "the twins asked" : $"organization '{scope}'")}.", "from"));
        }
        if (problems.Count > 0) return (null, problems);

        var twins = configs.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => new ReplayTwin(p.Key, p.Value.OrganizationId, Effective(p.Value), SandboxOf(sandbox[p.Key])))
            .ToList();
        return (new ReplayPlan(request.From!.Value, request.To!.Value, speed, scope, twins, loops, changes), problems);
    }

    /// <summary>A configuration with its effective bands and status mapping in the configured fields.</summary>
    private static TwinConfiguration Effective(TwinConfiguration c) => c with { AlarmBands = c.EffectiveAlarmBands, Status = c.EffectiveStatus };

    /// <summary>How a twin runs in the sandbox: simulated coupling (a command is applied to the twin and recorded, never
    /// sent: there is no gateway), no gateway, no organization to report to (the report groups by the grid's), loops
    /// triggered by the replay itself (stepped in recorded order, not by the twin's fire-and-forget calls).</summary>
    private static TwinConfiguration SandboxOf(TwinConfiguration c) => c with
    {
        Coupling = CouplingMode.NoLinks,
        Gateway = null,
        OrganizationId = null,
        TriggeredLoops = null,
        DescribedMethods = null,
        DescribedStatus = null,
        DescribedAlarmBands = null,
        RequireReadBack = false,
    };

    private static async Task ApplyTwinChangesAsync(ReplayChanges changes, IReplaySource source, Dictionary<string, TwinConfiguration> configs,
        Dictionary<string, TwinConfiguration> sandbox, Action<string, string> bad, Action<string, string> unknown, CancellationToken cancellationToken)
    {
        var bands = changes.AlarmBands ?? [];
        for (int i = 0; i < bands.Count; i++)
        {
            var field = $"changes.alarmBands[{i}]";
            var change = bands[i];
            if (change?.Band is null) { bad(field, $"{field}: 'band' is required."); continue; }
            if (change.Band.Problem() is { } problem) { bad(field, $"{field}: {problem}."); continue; }
            if (change.TwinId is { } twinId)
            {
                if (!await InReplayAsync(twinId, field, source, configs, bad, unknown, cancellationToken).ConfigureAwait(false)) continue;
                if (!HasTag(configs[twinId], change.Band.Tag)) { bad(field, $"{field}: twin '{twinId}' has no tag '{change.Band.Tag}'."); continue; }
                sandbox[twinId] = WithBand(sandbox[twinId], change.Band);
                continue;
            }
            int applied = 0;
            foreach (var id in configs.Keys)
                if (HasTag(configs[id], change.Band.Tag)) { sandbox[id] = WithBand(sandbox[id], change.Band); applied++; }
            if (applied == 0) bad(field, $"{field}: no twin of the replay has a tag '{change.Band.Tag}'.");
        }
        var twins = changes.Twins ?? [];
        for (int i = 0; i < twins.Count; i++)
        {
            var field = $"changes.twins[{i}]";
            var change = twins[i];
            if (change is null || string.IsNullOrEmpty(change.TwinId)) { bad(field, $"{field}: 'twinId' is required."); continue; }
            if (!await InReplayAsync(change.TwinId, field, source, configs, bad, unknown, cancellationToken).ConfigureAwait(false)) continue;
            var c = sandbox[change.TwinId];
            if (change.StaleAfter is { } stale)
            {
                if (stale < TimeSpan.Zero) bad(field, $"{field}: 'staleAfter' must not be negative (was {stale}).");
                else c = c with { StaleAfter = stale };
            }
            if (change.Status is { } status)
            {
                foreach (var tag in new[] { status.RunningTag, status.FaultedTag, status.TotalCountTag, status.GoodCountTag })
                    if (tag is not null && !HasTag(configs[change.TwinId], tag)) bad(field, $"{field}: twin '{change.TwinId}' has no tag '{tag}' (status mapping).");
                c = c with { Status = status };
            }
            foreach (var tag in change.RemoveAlarmBands ?? [])
            {
                if (c.AlarmBands?.Any(b => b.Tag == tag) != true) bad(field, $"{field}: twin '{change.TwinId}' has no alarm band on tag '{tag}' to remove.");
                else c = c with { AlarmBands = [.. c.AlarmBands.Where(b => b.Tag != tag)] };
            }
            sandbox[change.TwinId] = c;
        }
    }

    private static async Task<IReadOnlyList<ReplayLoop>> LoopsAsync(ReplayChanges changes, IReplaySource source, Dictionary<string, TwinConfiguration> configs,
        Action<string, string> bad, Action<string, string> unknown, CancellationToken cancellationToken)
    {
        var triggered = new HashSet<string>(StringComparer.Ordinal);
        var ids = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var c in configs.Values)
        {
            foreach (var id in c.ControlLoops ?? []) ids.Add(id);
            foreach (var id in c.TriggeredLoops ?? []) { ids.Add(id); triggered.Add(id); }
        }
        var changed = new Dictionary<string, LoopChange>(StringComparer.Ordinal);
        var loopChanges = changes.Loops ?? [];
        for (int i = 0; i < loopChanges.Count; i++)
        {
            var field = $"changes.loops[{i}]";
            var change = loopChanges[i];
            if (change is null || string.IsNullOrEmpty(change.LoopId)) { bad(field, $"{field}: 'loopId' is required."); continue; }
            if (!changed.TryAdd(change.LoopId, change)) bad(field, $"{field}: control loop '{change.LoopId}' is changed twice.");
            ids.Add(change.LoopId);
        }
        var found = await ReadAllAsync(ids, id => source.LoopAsync(id, cancellationToken)).ConfigureAwait(false);
        var loops = new List<ReplayLoop>();
        foreach (var (id, loop) in found)
        {
            changed.TryGetValue(id, out var change);
            var field = change is null ? "changes.loops" : $"changes.loops[{loopChanges.ToList().IndexOf(change)}]";
            if (loop is not { } l)
            {
                if (change is not null) unknown(field, $"{field}: unknown control loop '{id}'.");
                continue;   // a twin listing a deleted loop: nothing to run
            }
            var config = l.Configuration;
            if (!configs.ContainsKey(config.MeasuredTwinId) || !configs.ContainsKey(config.OutputTwinId))
            {
                if (change is not null)
                    bad(field, $"{field}: control loop '{id}' measures twin '{config.MeasuredTwinId}' and drives twin '{config.OutputTwinId}', not both in the replay.");
                continue;
            }
            if (change is not null)
            {
                if (change.Pid is not null && config.Law != ControlLawKind.Pid) bad(field, $"{field}: control loop '{id}' is {config.Law}, not Pid: 'pid' does not apply.");
                if (change.OnOff is not null && config.Law != ControlLawKind.OnOff) bad(field, $"{field}: control loop '{id}' is {config.Law}, not OnOff: 'onOff' does not apply.");
                config = config with
                {
                    Setpoint = change.Setpoint ?? config.Setpoint,
                    Pid = change.Pid ?? config.Pid,
                    OnOff = change.OnOff ?? config.OnOff,
                    SamplePeriod = change.SamplePeriod ?? config.SamplePeriod,
                    OutputMinimum = change.OutputMinimum ?? config.OutputMinimum,
                    OutputMaximum = change.OutputMaximum ?? config.OutputMaximum,
                    SafeOutput = change.SafeOutput ?? config.SafeOutput,
                    RateLimit = change.RateLimit ?? config.RateLimit,
                };
                if (config.SamplePeriod < TimeSpan.FromMilliseconds(100)) bad(field, $"{field}: 'samplePeriod' must be at least 00:00:00.1 (was {config.SamplePeriod}).");
                if (!double.IsFinite(config.Setpoint)) bad(field, $"{field}: 'setpoint' must be a finite number.");
                try { Imv.Grains.ControlLoops.LoopState.Validate(config); }
                catch (ArgumentException e) { bad(field, $"{field}: {e.Message}"); }
            }
            if (!(change?.Enabled ?? l.Enabled)) continue;
            loops.Add(new ReplayLoop(id, config, triggered.Contains(id)));
        }
        return loops;
    }

    private static async Task<bool> InReplayAsync(string twinId, string field, IReplaySource source, Dictionary<string, TwinConfiguration> configs,
        Action<string, string> bad, Action<string, string> unknown, CancellationToken cancellationToken)
    {
        if (configs.ContainsKey(twinId)) return true;
        if (await source.TwinAsync(twinId, cancellationToken).ConfigureAwait(false) is null) unknown(field, $"{field}: unknown twin '{twinId}'.");
        else bad(field, $"{field}: twin '{twinId}' is not part of the replay.");
        return false;
    }

    private static bool HasTag(TwinConfiguration c, string tag) => c.Tags?.Any(t => string.Equals(t.Name, tag, StringComparison.Ordinal)) == true;

    private static TwinConfiguration WithBand(TwinConfiguration c, AlarmBand band) =>
        c with { AlarmBands = [.. (c.AlarmBands ?? []).Where(b => !string.Equals(b.Tag, band.Tag, StringComparison.Ordinal)), band] };

    /// <summary>Reads every id, 64 at a time, keeping the ids' order.</summary>
    private static async Task<List<(string Id, T Value)>> ReadAllAsync<T>(IEnumerable<string> ids, Func<string, Task<T>> read)
    {
        var list = ids.ToList();
        var results = new (string, T)[list.Count];
        await Parallel.ForAsync(0, list.Count, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, _) => results[i] = (list[i], await read(list[i]).ConfigureAwait(false))).ConfigureAwait(false);
        return [.. results];
    }
}
