using Imv.Gateways.OpcUa.Client;
using Imv.Gateways.OpcUa.Encoding;
using Imv.Gateways.OpcUa.Transport;
using Microsoft.Extensions.Logging;

namespace Imv.Gateways.OpcUa.Gateway;

/// <summary>Turns an endpoint's configuration into tag and method bindings: translates browse paths,
/// browses discovery subtrees, and reads each variable's data type, rank and access level.</summary>
internal static class OpcUaMappingResolver
{
    private const int ReadBatch = 500;

    public static async Task<OpcUaMapping> ResolveAsync(UaClient client, OpcUaEndpointOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var tags = new List<TagBinding>();
        var methods = new List<MethodBinding>();
        // Namespaces named by URI are looked up in the server's NamespaceArray, read once per resolution.
        var namespaces = UsesNamespaceUris(options) ? await NamespaceTable.ReadAsync(client, cancellationToken).ConfigureAwait(false) : null;
        var defaultNamespace = options.BrowseNamespaceUri is { } uri
            ? namespaces!.IndexOf(uri.Trim(), $"Endpoint {options.Name}: BrowseNamespaceUri")
            : options.BrowseNamespaceIndex;
        await ResolveExplicitAsync(client, options, namespaces, defaultNamespace, tags, methods, logger, cancellationToken).ConfigureAwait(false);
        foreach (var discovery in options.Discovery)
            await DiscoverAsync(client, options, namespaces, defaultNamespace, discovery, tags, methods, cancellationToken).ConfigureAwait(false);

        // Duplicate (twin, tag) pairs would make commands ambiguous: the first wins.
        var unique = new List<TagBinding>(tags.Count);
        var seen = new HashSet<(string, string)>();
        foreach (var tag in tags)
        {
            if (seen.Add((tag.TwinId, tag.Tag))) unique.Add(tag);
            else logger.LogWarning("Endpoint {Endpoint}: tag {Tag} of twin {TwinId} is mapped twice; {NodeId} ignored", options.Name, tag.Tag, tag.TwinId, tag.NodeId);
        }
        await ReadAttributesAsync(client, unique, cancellationToken).ConfigureAwait(false);
        await ReadInputArgumentsAsync(client, methods, logger, cancellationToken).ConfigureAwait(false);
        await ReadAnalogPropertiesAsync(client, unique, cancellationToken).ConfigureAwait(false);
        return new OpcUaMapping(unique, methods);
    }

    private static bool UsesNamespaceUris(OpcUaEndpointOptions options) =>
        options.BrowseNamespaceUri is not null
        || options.Nodes.Any(n => n.BrowsePath is { } p && BrowsePathParser.UsesNamespaceUri(p)
            || ConfiguredNodeId.UsesNamespaceUri(n.NodeId) || ConfiguredNodeId.UsesNamespaceUri(n.ObjectNodeId))
        || options.Discovery.Any(d => IsNodeIdRoot(d.Root) ? ConfiguredNodeId.UsesNamespaceUri(d.Root) : BrowsePathParser.UsesNamespaceUri(d.Root));

    /// <summary>True when a discovery root is a node id (<c>ns=1;s=Plant</c>, <c>nsu=urn:x;s=Plant</c>,
    /// <c>i=85</c>) rather than a browse path.</summary>
    internal static bool IsNodeIdRoot(string root) =>
        ConfiguredNodeId.TryParse(root, out _, out _, out _) && root.Contains('=', StringComparison.Ordinal);

    private static async Task ResolveExplicitAsync(UaClient client, OpcUaEndpointOptions options, NamespaceTable? namespaces, ushort defaultNamespace,
        List<TagBinding> tags, List<MethodBinding> methods, ILogger logger, CancellationToken cancellationToken)
    {
        if (options.Nodes.Count == 0) return;
        // Translate every browse path (and the parent of each method path) in one request.
        var paths = new List<(NodeId, QualifiedName[])>();
        foreach (var node in options.Nodes)
        {
            if (node.BrowsePath is null) continue;
            var path = BrowsePathParser.Parse(node.BrowsePath, defaultNamespace, namespaces);
            paths.Add((WellKnownNodes.ObjectsFolder, path));
            if (node.Method is not null) paths.Add((WellKnownNodes.ObjectsFolder, path[..^1]));
        }
        var translated = paths.Count == 0 ? [] : await client.TranslateBrowsePathsAsync(paths, cancellationToken).ConfigureAwait(false);
        var next = 0;
        foreach (var node in options.Nodes)
        {
            NodeId nodeId;
            NodeId objectId = default;
            if (node.BrowsePath is not null)
            {
                nodeId = Target(translated[next++], node.BrowsePath);
                if (node.Method is not null) objectId = Target(translated[next++], node.BrowsePath + "/..");
            }
            else
            {
                nodeId = ConfiguredNodeId.Resolve(node.NodeId!, namespaces, "NodeId");
                if (node.Method is not null) objectId = ConfiguredNodeId.Resolve(node.ObjectNodeId!, namespaces, "ObjectNodeId");
            }
            if (node.Method is not null)
            {
                methods.Add(new MethodBinding(node.TwinId, node.Method, objectId, nodeId));
                continue;
            }
            var binding = new TagBinding(node.TwinId, node.Tag!, nodeId) { SamplingIntervalMs = node.SamplingIntervalMs };
            binding.Filter = Filter(node.DeadbandAbsolute ?? options.DeadbandAbsolute, node.DeadbandPercent ?? options.DeadbandPercent);
            tags.Add(binding);
        }
        logger.LogDebug("Endpoint {Endpoint}: {Count} explicit nodes resolved", options.Name, options.Nodes.Count);

        static NodeId Target(BrowsePathResult result, string path)
        {
            if (new StatusCode(result.StatusCode).IsBad || result.Targets.Length == 0)
                throw new UaServiceException(result.StatusCode == 0 ? StatusCode.BadNodeIdUnknown : result.StatusCode, $"Browse path '{path}' does not resolve");
            return result.Targets[0].NodeId;
        }
    }

    internal static DataChangeFilter? Filter(double? absolute, double? percent) =>
        absolute is { } a ? new DataChangeFilter(1, 1, a) : percent is { } p ? new DataChangeFilter(1, 2, p) : null;

    private static async Task DiscoverAsync(UaClient client, OpcUaEndpointOptions options, NamespaceTable? namespaces, ushort defaultNamespace,
        OpcUaDiscoveryOptions discovery, List<TagBinding> tags, List<MethodBinding> methods, CancellationToken cancellationToken)
    {
        NodeId root;
        string[] rootPath;
        if (IsNodeIdRoot(discovery.Root))
        {
            root = ConfiguredNodeId.Resolve(discovery.Root, namespaces, "Discovery root");
            var name = await client.ReadAsync([new ReadValueId(root, Attributes.BrowseName)], cancellationToken).ConfigureAwait(false);
            rootPath = [name[0].Value.Value is QualifiedName q ? q.Name ?? "" : discovery.Root];
        }
        else
        {
            var path = BrowsePathParser.Parse(discovery.Root, defaultNamespace, namespaces);
            var result = (await client.TranslateBrowsePathsAsync([(WellKnownNodes.ObjectsFolder, path)], cancellationToken).ConfigureAwait(false))[0];
            if (new StatusCode(result.StatusCode).IsBad || result.Targets.Length == 0)
                throw new UaServiceException(result.StatusCode, $"Discovery root '{discovery.Root}' does not resolve");
            root = result.Targets[0].NodeId;
            rootPath = path.Select(p => p.Name ?? "").ToArray();
        }

        var pending = new Queue<(NodeId Node, string[] Path, int Depth)>();
        pending.Enqueue((root, rootPath, 0));
        var visited = new HashSet<NodeId> { root };
        var filter = Filter(options.DeadbandAbsolute, options.DeadbandPercent);
        while (pending.Count > 0)
        {
            var (node, path, depth) = pending.Dequeue();
            var children = await client.BrowseAllAsync(
                new BrowseDescription(node, WellKnownNodes.HierarchicalReferences, NodeClass.Object | NodeClass.Variable | NodeClass.Method),
                cancellationToken).ConfigureAwait(false);
            var twinId = discovery.TwinIdTemplate
                .Replace("{endpoint}", options.Name, StringComparison.Ordinal)
                .Replace("{path}", string.Join('.', path), StringComparison.Ordinal)
                .Replace("{name}", path[^1], StringComparison.Ordinal);
            foreach (var child in children)
            {
                if (!child.NodeId.IsLocal) continue;
                var name = child.BrowseName.Name ?? child.NodeId.ToString();
                switch (child.NodeClass)
                {
                    case NodeClass.Variable:
                        tags.Add(new TagBinding(twinId, name, child.NodeId.NodeId) { Filter = filter });
                        break;
                    case NodeClass.Method:
                        methods.Add(new MethodBinding(twinId, name, node, child.NodeId.NodeId));
                        break;
                    case NodeClass.Object when depth < discovery.MaxDepth && visited.Add(child.NodeId.NodeId):
                        pending.Enqueue((child.NodeId.NodeId, [.. path, name], depth + 1));
                        break;
                }
            }
        }
    }

    private static async Task ReadAttributesAsync(UaClient client, List<TagBinding> tags, CancellationToken cancellationToken)
    {
        for (var start = 0; start < tags.Count; start += ReadBatch)
        {
            var batch = tags.GetRange(start, Math.Min(ReadBatch, tags.Count - start));
            var reads = new List<ReadValueId>(batch.Count * 4);
            foreach (var tag in batch)
            {
                reads.Add(new ReadValueId(tag.NodeId, Attributes.DataType));
                reads.Add(new ReadValueId(tag.NodeId, Attributes.ValueRank));
                reads.Add(new ReadValueId(tag.NodeId, Attributes.UserAccessLevel));
                reads.Add(new ReadValueId(tag.NodeId, Attributes.Value));
            }
            var values = await client.ReadAsync(reads, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < batch.Count; i++)
            {
                var tag = batch[i];
                var declared = values[4 * i].Value.Value is NodeId dataType ? TagValueConversion.FromDataTypeId(dataType) : null;
                var rank = values[4 * i + 1].Value.TryGetDouble(out var r) ? (int)r : -1;
                if (values[4 * i + 2].Value.TryGetDouble(out var access)) tag.Writable = ((int)access & 0x02) != 0;
                var sample = new StatusCode(values[4 * i + 3].StatusCode).IsBad ? Variant.Null : values[4 * i + 3].Value;
                TagShape.Resolve(tag, declared, rank, sample);
            }
        }
    }

    /// <summary>Reads each method's InputArguments property (OPC 10000-3 §5.7), so that a command's
    /// payload can be converted to the declared types and checked before the call. A method without the
    /// property takes no arguments.</summary>
    private static async Task ReadInputArgumentsAsync(UaClient client, List<MethodBinding> methods, ILogger logger, CancellationToken cancellationToken)
    {
        for (var start = 0; start < methods.Count; start += ReadBatch)
        {
            var batch = methods.GetRange(start, Math.Min(ReadBatch, methods.Count - start));
            var results = await client.TranslateBrowsePathsAsync(
                batch.Select(m => (m.MethodId, new[] { new QualifiedName(0, "InputArguments") })).ToList(), cancellationToken).ConfigureAwait(false);
            var reads = new List<(MethodBinding Method, ReadValueId Read)>();
            for (var i = 0; i < batch.Count; i++)
            {
                if (results[i].StatusCode == StatusCode.Good && results[i].Targets.Length > 0)
                    reads.Add((batch[i], new ReadValueId(results[i].Targets[0].NodeId)));
                else if (results[i].StatusCode == BadNoMatch)
                    batch[i].InputArguments = [];
                else
                    logger.LogWarning("Method {Method} ({NodeId}): InputArguments not found ({Status}); its arguments go unchecked",
                        batch[i].Method, batch[i].MethodId, StatusCode.NameOf(results[i].StatusCode));
            }
            if (reads.Count == 0) continue;
            var values = await client.ReadAsync(reads.Select(r => r.Read).ToList(), cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < reads.Count; i++)
            {
                var method = reads[i].Method;
                if (values[i].Value.Value is ExtensionObject[] arguments && arguments.All(a => a.Decoded is MethodArgument))
                    method.InputArguments = arguments.Select(a => (MethodArgument)a.Decoded!).ToArray();
                else if (values[i].Value.Value is null && !new StatusCode(values[i].StatusCode).IsBad)
                    method.InputArguments = [];
                else
                    logger.LogWarning("Method {Method} ({NodeId}): InputArguments could not be read ({Status}); its arguments go unchecked",
                        method.Method, method.MethodId, StatusCode.NameOf(values[i].StatusCode));
            }
        }
    }

    private const uint BadNoMatch = 0x806F0000;

    /// <summary>Reads the AnalogItem properties of numeric tags: the EngineeringUnits give the tag's
    /// unit, and only tags with an EURange accept a percent deadband.</summary>
    private static async Task ReadAnalogPropertiesAsync(UaClient client, List<TagBinding> tags, CancellationToken cancellationToken)
    {
        var numeric = tags.Where(t => t.DataType is >= BuiltInType.SByte and <= BuiltInType.Double && !t.IsArray).ToList();
        for (var start = 0; start < numeric.Count; start += ReadBatch)
        {
            var batch = numeric.GetRange(start, Math.Min(ReadBatch, numeric.Count - start));
            var paths = new List<(NodeId, QualifiedName[])>(batch.Count * 2);
            foreach (var tag in batch)
            {
                paths.Add((tag.NodeId, [new QualifiedName(0, "EURange")]));
                paths.Add((tag.NodeId, [new QualifiedName(0, "EngineeringUnits")]));
            }
            var results = await client.TranslateBrowsePathsAsync(paths, cancellationToken).ConfigureAwait(false);
            var unitReads = new List<(TagBinding Tag, ReadValueId Read)>();
            var rangeReads = new List<(TagBinding Tag, ReadValueId Read)>();
            for (var i = 0; i < batch.Count; i++)
            {
                var range = results[2 * i];
                batch[i].HasRange = range.StatusCode == StatusCode.Good && range.Targets.Length > 0;
                if (batch[i].HasRange && batch[i].Writable) rangeReads.Add((batch[i], new ReadValueId(range.Targets[0].NodeId)));
                var units = results[2 * i + 1];
                if (units.StatusCode == StatusCode.Good && units.Targets.Length > 0)
                    unitReads.Add((batch[i], new ReadValueId(units.Targets[0].NodeId)));
            }
            if (rangeReads.Count > 0)
            {
                // The EURange of a writable analog item bounds what a command may write.
                var ranges = await client.ReadAsync(rangeReads.Select(r => r.Read).ToList(), cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < rangeReads.Count; i++)
                {
                    if (ranges[i].Value.Value is ExtensionObject { Decoded: UaRange r } && r.Low <= r.High) rangeReads[i].Tag.Range = (r.Low, r.High);
                }
            }
            if (unitReads.Count == 0) continue;
            var values = await client.ReadAsync(unitReads.Select(u => u.Read).ToList(), cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < unitReads.Count; i++)
            {
                if (values[i].Value.Value is ExtensionObject { Decoded: EUInformation unit })
                    unitReads[i].Tag.Unit = unit.DisplayName.Text;
            }
        }
        foreach (var tag in tags)
        {
            // A percent deadband needs a range; without one fall back to no filter rather than fail the item.
            if (tag.Filter is { DeadbandType: 2 } && !tag.HasRange) tag.Filter = null;
        }
    }
}
