using Imv.Grains.Interfaces.Replay;
using Imv.Grains.Interfaces.ControlLoops;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Silo.Replay;

/// <summary>A replay resolved against the grid and checked: the twins and loops with their configurations as in the
/// grid (the original period is measured with those) and as the sandbox runs them (changes applied).</summary>
/// <param name="From">Start of the range (inclusive).</param>
/// <param name="To">End of the range (exclusive).</param>
/// <param name="Speed">Recorded seconds per real second; null: as fast as possible.</param>
/// <param name="Scope">What was asked: "all", an organization id, or "twins".</param>
/// <param name="Twins">The twins, ordered by id.</param>
/// <param name="Loops">The loops the sandbox runs, ordered by id.</param>
/// <param name="Changes">The changes applied.</param>
public sealed record ReplayPlan(DateTimeOffset From, DateTimeOffset To, double? Speed, string Scope, IReadOnlyList<ReplayTwin> Twins,
    IReadOnlyList<ReplayLoop> Loops, ReplayChanges Changes);

/// <summary>A twin of a replay.</summary>
/// <param name="TwinId">Its id.</param>
/// <param name="OrganizationId">Its organization in the grid (the report groups by it).</param>
/// <param name="Original">Its configuration in the grid, bands and status mapping effective.</param>
/// <param name="Sandbox">Its configuration in the sandbox: changes applied, simulated coupling (no gateway), no organization.</param>
public sealed record ReplayTwin(string TwinId, string? OrganizationId, TwinConfiguration Original, TwinConfiguration Sandbox);

/// <summary>A control loop the sandbox runs, stepped by recorded time.</summary>
/// <param name="LoopId">Its id.</param>
/// <param name="Configuration">Its configuration in the sandbox (changes applied).</param>
/// <param name="Triggered">Also run after each reading of its measured twin (the twin lists it as triggered).</param>
public sealed record ReplayLoop(string LoopId, ControlLoopConfiguration Configuration, bool Triggered);

/// <summary>A reason a replay cannot start: the HTTP status it answers with and what was wrong.</summary>
/// <param name="Status">404 for something unknown, 400 for bad input, 422 for a range with nothing recorded.</param>
/// <param name="Message">What was wrong, naming it.</param>
/// <param name="Field">The request's field concerned.</param>
public sealed record ReplayProblem(int Status, string Message, string Field);
