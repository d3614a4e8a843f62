using Imv.Gateways.OpcUa.Encoding;

namespace Imv.Gateways.OpcUa.Client;

// The view, attribute and method services.
public sealed partial class UaClient
{
    private const uint BrowseRequestId = 527;
    private const uint BrowseResponseId = 530;
    private const uint BrowseNextRequestId = 533;
    private const uint BrowseNextResponseId = 536;
    private const uint TranslateRequestId = 554;
    private const uint TranslateResponseId = 557;
    private const uint ReadRequestId = 631;
    private const uint ReadResponseId = 634;
    private const uint WriteRequestId = 673;
    private const uint WriteResponseId = 676;
    private const uint CallRequestId = 712;
    private const uint CallResponseId = 715;

    /// <summary>Browses nodes; a result with a continuation point has more pages (<see cref="BrowseNextAsync"/>).</summary>
    public async Task<BrowseResult[]> BrowseAsync(IReadOnlyList<BrowseDescription> nodes, uint maxReferencesPerNode, CancellationToken cancellationToken)
    {
        using var response = await InvokeAsync(BrowseRequestId, BrowseResponseId, (nodes, maxReferencesPerNode),
            static (w, s) =>
            {
                w.WriteNodeId(NodeId.Null); // view
                w.WriteInt64(0);
                w.WriteUInt32(0);
                w.WriteUInt32(s.maxReferencesPerNode);
                w.WriteArray(s.nodes, static (w, n) =>
                {
                    w.WriteNodeId(n.NodeId);
                    w.WriteInt32(n.Forward ? 0 : 1);
                    w.WriteNodeId(n.ReferenceTypeId);
                    w.WriteBoolean(true);
                    w.WriteUInt32((uint)n.NodeClassMask);
                    w.WriteUInt32(0x3F); // all result fields
                });
            }, cancellationToken).ConfigureAwait(false);
        return DecodeBrowse(response.Body, "Browse");
    }

    /// <summary>Continues browses; with <paramref name="release"/> only frees the continuation points.</summary>
    public async Task<BrowseResult[]> BrowseNextAsync(IReadOnlyList<byte[]> continuationPoints, bool release, CancellationToken cancellationToken)
    {
        using var response = await InvokeAsync(BrowseNextRequestId, BrowseNextResponseId, (continuationPoints, release),
            static (w, s) =>
            {
                w.WriteBoolean(s.release);
                w.WriteArray(s.continuationPoints, static (w, c) => w.WriteByteString(c));
            }, cancellationToken).ConfigureAwait(false);
        return DecodeBrowse(response.Body, "BrowseNext");
    }

    /// <summary>Browses one node completely, following continuation points.</summary>
    public async Task<List<ReferenceDescription>> BrowseAllAsync(BrowseDescription node, CancellationToken cancellationToken, uint pageSize = 1000)
    {
        var all = new List<ReferenceDescription>();
        var result = (await BrowseAsync([node], pageSize, cancellationToken).ConfigureAwait(false))[0];
        while (true)
        {
            if (new StatusCode(result.StatusCode).IsBad)
                throw new Transport.UaServiceException(result.StatusCode, $"Browsing {node.NodeId} failed");
            all.AddRange(result.References);
            if (result.ContinuationPoint is not { Length: > 0 } point) return all;
            result = (await BrowseNextAsync([point], false, cancellationToken).ConfigureAwait(false))[0];
        }
    }

    internal static BrowseResult[] DecodeBrowse(ReadOnlySpan<byte> body, string service)
    {
        var r = new UaBinaryReader(body);
        ReadHeader(ref r, service);
        return r.ReadArray(static (ref UaBinaryReader b) =>
        {
            var status = b.ReadUInt32();
            var point = b.ReadByteString();
            var references = b.ReadArray(static (ref UaBinaryReader x) => new ReferenceDescription(
                x.ReadNodeId(), x.ReadBoolean(), x.ReadExpandedNodeId(), x.ReadQualifiedName(), x.ReadLocalizedText(),
                (NodeClass)x.ReadInt32(), x.ReadExpandedNodeId()));
            return new BrowseResult(status, point, references);
        });
    }

    /// <summary>Translates browse paths (<c>starting node</c> + browse names along hierarchical
    /// references) to node ids.</summary>
    public async Task<BrowsePathResult[]> TranslateBrowsePathsAsync(IReadOnlyList<(NodeId Start, QualifiedName[] Path)> paths, CancellationToken cancellationToken)
    {
        using var response = await InvokeAsync(TranslateRequestId, TranslateResponseId, paths,
            static (w, s) => w.WriteArray(s, static (w, p) =>
            {
                w.WriteNodeId(p.Start);
                w.WriteArray(p.Path, static (w, name) =>
                {
                    w.WriteNodeId(WellKnownNodes.HierarchicalReferences);
                    w.WriteBoolean(false);
                    w.WriteBoolean(true);
                    w.WriteQualifiedName(name);
                });
            }), cancellationToken).ConfigureAwait(false);
        return DecodeTranslate(response.Body);
    }

    internal static BrowsePathResult[] DecodeTranslate(ReadOnlySpan<byte> body)
    {
        var r = new UaBinaryReader(body);
        ReadHeader(ref r, "TranslateBrowsePathsToNodeIds");
        return r.ReadArray(static (ref UaBinaryReader b) =>
        {
            var status = b.ReadUInt32();
            var targets = b.ReadArray(static (ref UaBinaryReader t) =>
            {
                var id = t.ReadExpandedNodeId();
                t.ReadUInt32();
                return id;
            });
            return new BrowsePathResult(status, targets);
        });
    }

    /// <summary>Reads attributes (source and server timestamps).</summary>
    public async Task<DataValue[]> ReadAsync(IReadOnlyList<ReadValueId> nodes, CancellationToken cancellationToken)
    {
        using var response = await InvokeAsync(ReadRequestId, ReadResponseId, nodes,
            static (w, s) =>
            {
                w.WriteDouble(0); // max age: read from the device
                w.WriteInt32(2); // both timestamps
                w.WriteArray(s, static (w, n) =>
                {
                    w.WriteNodeId(n.NodeId);
                    w.WriteUInt32(n.AttributeId);
                    w.WriteString(n.IndexRange);
                    w.WriteQualifiedName(default);
                });
            }, cancellationToken).ConfigureAwait(false);
        return DecodeRead(response.Body);
    }

    internal static DataValue[] DecodeRead(ReadOnlySpan<byte> body)
    {
        var r = new UaBinaryReader(body);
        ReadHeader(ref r, "Read");
        return r.ReadArray(static (ref UaBinaryReader b) => b.ReadDataValue());
    }

    /// <summary>Reads the Value attribute of one node.</summary>
    public async Task<DataValue> ReadValueAsync(NodeId nodeId, CancellationToken cancellationToken) =>
        (await ReadAsync([new ReadValueId(nodeId)], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>Writes attributes; returns one status code per value.</summary>
    public async Task<uint[]> WriteAsync(IReadOnlyList<WriteValue> values, CancellationToken cancellationToken)
    {
        using var response = await InvokeAsync(WriteRequestId, WriteResponseId, values,
            static (w, s) => w.WriteArray(s, static (w, v) =>
            {
                w.WriteNodeId(v.NodeId);
                w.WriteUInt32(v.AttributeId);
                w.WriteString(null);
                w.WriteDataValue(v.Value);
            }), cancellationToken).ConfigureAwait(false);
        return DecodeStatusResults(response.Body, "Write");
    }

    /// <summary>Writes the Value attribute of one node; returns its status code.</summary>
    public async Task<uint> WriteValueAsync(NodeId nodeId, Variant value, CancellationToken cancellationToken) =>
        (await WriteAsync([new WriteValue(nodeId, new DataValue(value))], cancellationToken).ConfigureAwait(false))[0];

    internal static uint[] DecodeStatusResults(ReadOnlySpan<byte> body, string service)
    {
        var r = new UaBinaryReader(body);
        ReadHeader(ref r, service);
        var results = r.ReadUInt32Array();
        r.SkipDiagnosticInfos();
        return results;
    }

    /// <summary>Calls methods.</summary>
    public async Task<CallMethodResult[]> CallAsync(IReadOnlyList<CallMethodRequest> calls, CancellationToken cancellationToken)
    {
        using var response = await InvokeAsync(CallRequestId, CallResponseId, calls,
            static (w, s) => w.WriteArray(s, static (w, c) =>
            {
                w.WriteNodeId(c.ObjectId);
                w.WriteNodeId(c.MethodId);
                w.WriteArray(c.InputArguments, static (w, v) => w.WriteVariant(v));
            }), cancellationToken).ConfigureAwait(false);
        return DecodeCall(response.Body);
    }

    internal static CallMethodResult[] DecodeCall(ReadOnlySpan<byte> body)
    {
        var r = new UaBinaryReader(body);
        ReadHeader(ref r, "Call");
        return r.ReadArray(static (ref UaBinaryReader b) =>
        {
            var status = b.ReadUInt32();
            var inputResults = b.ReadUInt32Array();
            b.SkipDiagnosticInfos();
            var outputs = b.ReadArray(static (ref UaBinaryReader v) => v.ReadVariant());
            return new CallMethodResult(status, inputResults, outputs);
        });
    }
}
