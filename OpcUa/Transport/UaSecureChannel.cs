using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using Imv.Gateways.OpcUa.Encoding;
using Microsoft.Extensions.Logging;

namespace Imv.Gateways.OpcUa.Transport;

/// <summary>An OPC UA secure channel over opc.tcp (OPC 10000-6 §6.7, §7.1): the Hello/Acknowledge
/// handshake, OpenSecureChannel and its renewal before the token expires, message chunking both ways
/// within the negotiated buffer, message and chunk-count limits, and request/response correlation.
/// Any protocol violation closes the channel with an error naming it; pending requests then fail with
/// that error, and <see cref="Closed"/> completes so the owner can reconnect.</summary>
public sealed class UaSecureChannel : IAsyncDisposable
{
    private const int MessageHeaderSize = 8;
    private const int SymmetricHeaderSize = MessageHeaderSize + 8; // + channel id + token id
    private const int SequenceHeaderSize = 8;
    private const uint OpenSecureChannelRequestId = 446;
    private const uint OpenSecureChannelResponseId = 449;
    private const uint CloseSecureChannelRequestId = 452;
    private const uint ServiceFaultId = 397;
    // Responses being assembled at once; with the message size limit this bounds the receive memory.
    private const int MaxPartialMessages = 8;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _input;
    private readonly ILogger _logger;
    private readonly IUaSecurityPolicy _policy;
    private readonly string _endpointUrl;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly UaBinaryWriter _body = new(16 * 1024);
    private readonly ConcurrentDictionary<uint, TaskCompletionSource<UaResponse>> _pending = new();
    private readonly Dictionary<uint, MessageAssembly> _assemblies = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<Exception?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly uint _requestedLifetimeMs;
    private byte[] _chunk = [];
    private uint _channelId;
    private uint _tokenId;
    private uint _previousTokenId;
    private uint _sendSequence;
    private uint _receiveSequence;
    private bool _receivedAny;
    private int _requestId;
    private Task _receiveLoop = Task.CompletedTask;
    private Task _renewLoop = Task.CompletedTask;
    private int _closing;

    internal UaSecureChannel(Socket socket, string endpointUrl, IUaSecurityPolicy policy, UaTransportLimits local, uint requestedLifetimeMs, ILogger logger)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _input = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 65536, minimumReadSize: 16384));
        _endpointUrl = endpointUrl;
        _policy = policy;
        LocalLimits = local;
        RemoteLimits = local;
        _requestedLifetimeMs = requestedLifetimeMs;
        _logger = logger;
    }

    /// <summary>This client's limits, as sent in Hello.</summary>
    public UaTransportLimits LocalLimits { get; private set; }

    /// <summary>The server's limits, from Acknowledge.</summary>
    public UaTransportLimits RemoteLimits { get; private set; }

    /// <summary>The channel id the server assigned.</summary>
    public uint ChannelId => _channelId;

    /// <summary>The current security token id.</summary>
    public uint TokenId => _tokenId;

    /// <summary>The token lifetime the server granted.</summary>
    public TimeSpan TokenLifetime { get; private set; }

    /// <summary>How many times the token was renewed.</summary>
    public int RenewCount { get; private set; }

    /// <summary>The security policy and mode of the channel.</summary>
    public IUaSecurityPolicy Policy => _policy;

    /// <summary>The endpoint URL the channel connects to.</summary>
    public string EndpointUrl => _endpointUrl;

    /// <summary>Completes when the channel is closed, with the error that closed it (null for a clean close).</summary>
    public Task<Exception?> Closed => _closed.Task;

    /// <summary>True until the channel is closed.</summary>
    public bool IsOpen => !_closed.Task.IsCompleted;

    /// <summary>Connects, says Hello, and opens the secure channel.</summary>
    public static async Task<UaSecureChannel> OpenAsync(
        string endpointUrl,
        IUaSecurityPolicy policy,
        UaTransportLimits limits,
        TimeSpan requestedLifetime,
        TimeSpan timeout,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpointUrl);
        if (!Uri.TryCreate(endpointUrl, UriKind.Absolute, out var uri) || uri.Scheme != "opc.tcp")
            throw new ArgumentException($"Endpoint URL '{endpointUrl}' is not an opc.tcp:// URL.", nameof(endpointUrl));
        var port = uri.Port > 0 ? uri.Port : 4840;
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutCts.CancelAfter(timeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        UaSecureChannel? channel = null;
        try
        {
            try
            {
                await socket.ConnectAsync(uri.Host, port, timeoutCts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new UaServiceException(StatusCode.BadTimeout, $"Connecting to {endpointUrl} timed out after {timeout.TotalSeconds:0.#} s");
            }
            catch (SocketException ex)
            {
                throw new UaServiceException(StatusCode.BadNotConnected, $"Cannot connect to {endpointUrl} ({ex.SocketErrorCode})", ex);
            }
            channel = new UaSecureChannel(socket, endpointUrl, policy, limits, (uint)requestedLifetime.TotalMilliseconds, logger);
            try
            {
                await channel.HelloAsync(timeoutCts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new UaServiceException(StatusCode.BadTimeout, $"{endpointUrl} did not acknowledge Hello within {timeout.TotalSeconds:0.#} s");
            }
            channel._receiveLoop = Task.Run(channel.ReceiveLoopAsync, CancellationToken.None);
            await channel.OpenSecureChannelAsync(renew: false, timeout, cancellationToken).ConfigureAwait(false);
            channel._renewLoop = Task.Run(channel.RenewLoopAsync, CancellationToken.None);
            return channel;
        }
        catch
        {
            if (channel is not null) await channel.DisposeAsync().ConfigureAwait(false);
            else socket.Dispose();
            throw;
        }
    }

    private async Task HelloAsync(CancellationToken cancellationToken)
    {
        var w = new UaBinaryWriter(256);
        try
        {
            w.WriteRaw("HELF"u8);
            w.WriteUInt32(0); // size, patched below
            w.WriteUInt32(0); // protocol version
            w.WriteUInt32(LocalLimits.ReceiveBufferSize);
            w.WriteUInt32(LocalLimits.SendBufferSize);
            w.WriteUInt32(LocalLimits.MaxMessageSize);
            w.WriteUInt32(LocalLimits.MaxChunkCount);
            w.WriteString(_endpointUrl);
            BinaryPrimitives.WriteUInt32LittleEndian(w.WrittenSpanForPatch[4..], (uint)w.Position);
            await _stream.WriteAsync(w.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            w.Dispose();
        }

        while (true)
        {
            var result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length >= MessageHeaderSize)
            {
                var size = ReadDeclaredSize(buffer);
                if (size < MessageHeaderSize || size > UaTransportLimits.MinimumBufferSize * 8)
                    throw new UaServiceException(StatusCode.BadTcpMessageTooLarge, $"Acknowledge from {_endpointUrl} declares {size} bytes");
                if (buffer.Length >= size)
                {
                    var message = buffer.Slice(0, size).ToArray();
                    _input.AdvanceTo(buffer.GetPosition(size));
                    ProcessAcknowledge(message);
                    return;
                }
            }
            if (result.IsCompleted)
                throw new UaServiceException(StatusCode.BadConnectionClosed, $"{_endpointUrl} closed the connection during Hello");
            _input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static uint ReadDeclaredSize(ReadOnlySequence<byte> buffer)
    {
        Span<byte> header = stackalloc byte[MessageHeaderSize];
        buffer.Slice(0, MessageHeaderSize).CopyTo(header);
        return BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
    }

    private void ProcessAcknowledge(byte[] message)
    {
        var reader = new UaBinaryReader(message);
        var type = reader.ReadRaw(3);
        reader.ReadByte();
        reader.ReadUInt32();
        if (type.SequenceEqual("ERR"u8))
        {
            var error = reader.ReadUInt32();
            var reason = reader.ReadString();
            throw new UaServiceException(error, $"{_endpointUrl} refused Hello ({reason})");
        }
        if (!type.SequenceEqual("ACK"u8))
            throw new UaServiceException(StatusCode.BadTcpMessageTypeInvalid, $"{_endpointUrl} answered Hello with '{System.Text.Encoding.ASCII.GetString(type)}', not ACK");
        reader.ReadUInt32(); // protocol version
        var serverReceive = reader.ReadUInt32();
        var serverSend = reader.ReadUInt32();
        var serverMaxMessage = reader.ReadUInt32();
        var serverMaxChunks = reader.ReadUInt32();
        if (serverReceive < UaTransportLimits.MinimumBufferSize || serverSend < UaTransportLimits.MinimumBufferSize)
            throw new UaServiceException(StatusCode.BadTcpInternalError, $"{_endpointUrl} acknowledged buffers of {serverReceive}/{serverSend} bytes, below the 8192 minimum");
        // Chunks we send must fit the server's receive buffer; chunks we accept are at most what it sends.
        LocalLimits = LocalLimits with
        {
            SendBufferSize = Math.Min(LocalLimits.SendBufferSize, serverReceive),
            ReceiveBufferSize = Math.Min(LocalLimits.ReceiveBufferSize, serverSend),
        };
        RemoteLimits = new UaTransportLimits(serverReceive, serverSend, serverMaxMessage, serverMaxChunks);
        _chunk = ArrayPool<byte>.Shared.Rent((int)LocalLimits.SendBufferSize);
    }

    private async Task OpenSecureChannelAsync(bool renew, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clientNonce = _policy.CreateClientNonce();
        UaResponse response;
        try
        {
            response = await SendOpenAsync(renew, clientNonce, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (UaServiceException ex) when (_policy.ClientCertificate is { } certificate && ex.Status != StatusCode.BadTimeout)
        {
            // A secured open fails when the server does not trust the client certificate: say which one.
            throw new UaServiceException(ex.Status,
                $"{_endpointUrl} refused OpenSecureChannel with {_policy.Uri[(_policy.Uri.LastIndexOf('#') + 1)..]} {_policy.Mode} "
                + $"(client certificate thumbprint {Convert.ToHexString(System.Security.Cryptography.SHA1.HashData(certificate))}; does the server trust it?)", ex);
        }
        using (response)
        {
            if (response.TypeId != OpenSecureChannelResponseId)
                throw new UaServiceException(StatusCode.BadUnknownResponse, $"OpenSecureChannel was answered with type {response.TypeId}");
            ApplyOpenResponse(response.Body, clientNonce, renew);
        }
    }

    private Task<UaResponse> SendOpenAsync(bool renew, byte[] clientNonce, TimeSpan timeout, CancellationToken cancellationToken)
    {
        return SendAsync(
            OpenSecureChannelRequestId,
            (this, renew, clientNonce),
            static (w, s) =>
            {
                ResponseHeader.WriteRequestHeader(w, NodeId.Null, 0, 10000);
                w.WriteUInt32(0); // client protocol version
                w.WriteInt32(s.renew ? 1 : 0);
                w.WriteInt32((int)s.Item1._policy.Mode);
                w.WriteByteString(s.clientNonce);
                w.WriteUInt32(s.Item1._requestedLifetimeMs);
            },
            timeout,
            cancellationToken,
            isOpen: true);
    }

    private void ApplyOpenResponse(ReadOnlySpan<byte> body, byte[] clientNonce, bool renew)
    {
        var reader = new UaBinaryReader(body);
        var header = ResponseHeader.Read(ref reader);
        if (new StatusCode(header.ServiceResult).IsBad)
            throw new UaServiceException(header.ServiceResult, "OpenSecureChannel failed");
        reader.ReadUInt32(); // server protocol version
        var channelId = reader.ReadUInt32();
        var tokenId = reader.ReadUInt32();
        reader.ReadDateTime(); // created at
        var lifetime = reader.ReadUInt32();
        var serverNonce = reader.ReadByteString() ?? [];
        _policy.DeriveKeys(tokenId, clientNonce, serverNonce);
        if (renew && channelId != _channelId)
            throw new UaServiceException(StatusCode.BadSecureChannelIdInvalid, $"Renewal changed the channel id from {_channelId} to {channelId}");
        _channelId = channelId;
        _previousTokenId = _tokenId;
        _tokenId = tokenId;
        TokenLifetime = TimeSpan.FromMilliseconds(Math.Max(lifetime, 1000));
        if (renew) RenewCount++;
        _logger.LogDebug("Secure channel {ChannelId} to {Endpoint} {Action} token {TokenId} for {Lifetime} ms",
            channelId, _endpointUrl, renew ? "renewed" : "opened", tokenId, lifetime);
    }

    private async Task RenewLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                // Renew at 75% of the lifetime, as the spec recommends, so a slow answer still lands in time.
                await Task.Delay(TokenLifetime * 0.75, _stop.Token).ConfigureAwait(false);
                await OpenSecureChannelAsync(renew: true, TimeSpan.FromSeconds(10), _stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Closing.
        }
        catch (Exception ex)
        {
            Fail(new UaServiceException(ex is UaServiceException u ? u.Status : StatusCode.BadSecureChannelClosed,
                $"Renewing the security token of channel {_channelId} failed", ex));
        }
    }

    /// <summary>Sends one request and waits for its response. <paramref name="encode"/> writes the
    /// request after its type id (RequestHeader first). Fails with <see cref="UaServiceException"/>:
    /// BadTimeout after <paramref name="timeout"/>, the fault's code for a ServiceFault, the closing
    /// error when the channel closes.</summary>
    internal async Task<UaResponse> SendAsync<TState>(
        uint typeId,
        TState state,
        Action<UaBinaryWriter, TState> encode,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        bool isOpen = false,
        bool completeInline = false)
    {
        ThrowIfClosed();
        // Inline completion saves a thread pool hop (it matters for the tail of short round trips on a
        // busy machine) but runs the caller's continuation on the receive loop: only for callers whose
        // continuation is short, never for Publish, whose processing would hold up every other response.
        var pending = new TaskCompletionSource<UaResponse>(completeInline ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
        uint requestId;
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfClosed();
            requestId = (uint)Interlocked.Increment(ref _requestId);
            _pending[requestId] = pending;
            _body.Reset();
            _body.WriteNodeId(new NodeId(typeId));
            encode(_body, state);
            await WriteChunksAsync(isOpen ? ChunkKind.Open : ChunkKind.Message, requestId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not UaServiceException and not OperationCanceledException)
        {
            var error = new UaServiceException(StatusCode.BadCommunicationError, $"Sending to {_endpointUrl} failed", ex);
            Fail(error);
            throw error;
        }
        finally
        {
            _sendLock.Release();
        }

        try
        {
            var response = await pending.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            _pending.TryRemove(requestId, out _);
            return response;
        }
        catch (TimeoutException)
        {
            throw new UaServiceException(StatusCode.BadTimeout, $"Request {requestId} (type {typeId}) to {_endpointUrl} got no answer within {timeout.TotalSeconds:0.#} s");
        }
        finally
        {
            // Gave up (timeout, cancellation): a response that raced in still owns a pooled buffer.
            if (_pending.TryRemove(requestId, out var orphan) && orphan.Task.IsCompletedSuccessfully)
                orphan.Task.Result.Dispose();
        }
    }

    private enum ChunkKind
    {
        Open,
        Message,
        Close,
    }

    private async ValueTask WriteChunksAsync(ChunkKind kind, uint requestId, CancellationToken cancellationToken)
    {
        var isOpen = kind == ChunkKind.Open;
        var body = _body.WrittenMemory;
        if (RemoteLimits.MaxMessageSize != 0 && body.Length > RemoteLimits.MaxMessageSize)
            throw new UaServiceException(StatusCode.BadRequestTooLarge, $"Request of {body.Length} bytes exceeds the server's message limit of {RemoteLimits.MaxMessageSize}");
        var headerSize = isOpen ? AsymmetricHeaderSize() : SymmetricHeaderSize;
        // The policy says what is left of a chunk once padding, signature and encryption blocks are
        // accounted for.
        var maxBody = (isOpen
            ? _policy.MaxAsymmetricPayload((int)LocalLimits.SendBufferSize, headerSize)
            : _policy.MaxSymmetricPayload((int)LocalLimits.SendBufferSize, headerSize)) - SequenceHeaderSize;
        if (maxBody <= 0)
            throw new UaServiceException(StatusCode.BadTcpInternalError, $"A chunk of {LocalLimits.SendBufferSize} bytes leaves no room for a body under {_policy.Uri} {_policy.Mode}");
        var tokenId = _tokenId; // every chunk of a message is secured with the same token
        var chunks = Math.Max(1, (body.Length + maxBody - 1) / maxBody);
        if (isOpen && chunks > 1)
            throw new UaServiceException(StatusCode.BadRequestTooLarge, "OpenSecureChannel request does not fit one chunk");
        if (RemoteLimits.MaxChunkCount != 0 && chunks > RemoteLimits.MaxChunkCount)
            throw new UaServiceException(StatusCode.BadRequestTooLarge, $"Request needs {chunks} chunks, the server accepts {RemoteLimits.MaxChunkCount}");
        var offset = 0;
        for (var i = 0; i < chunks; i++)
        {
            var part = Math.Min(maxBody, body.Length - offset);
            var chunk = _chunk.AsSpan();
            var type = kind switch { ChunkKind.Open => "OPN"u8, ChunkKind.Close => "CLO"u8, _ => "MSG"u8 };
            type.CopyTo(chunk);
            chunk[3] = i == chunks - 1 ? (byte)'F' : (byte)'C';
            BinaryPrimitives.WriteUInt32LittleEndian(chunk[8..], _channelId);
            var at = 12;
            if (isOpen) at = WriteAsymmetricHeader(chunk, at);
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(chunk[12..], tokenId);
                at = 16;
            }
            BinaryPrimitives.WriteUInt32LittleEndian(chunk[at..], ++_sendSequence);
            BinaryPrimitives.WriteUInt32LittleEndian(chunk[(at + 4)..], requestId);
            at += SequenceHeaderSize;
            body.Span.Slice(offset, part).CopyTo(chunk[at..]);
            // The policy writes the final size before signing: signatures cover the whole header.
            BinaryPrimitives.WriteUInt32LittleEndian(chunk[4..], (uint)(at + part));
            var length = isOpen
                ? _policy.SecureAsymmetricChunk(chunk, at + part, headerSize)
                : _policy.SecureSymmetricChunk(chunk, at + part, headerSize, tokenId);
            BinaryPrimitives.WriteUInt32LittleEndian(chunk[4..], (uint)length);
            await _stream.WriteAsync(_chunk.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            offset += part;
        }
    }

    private int AsymmetricHeaderSize() =>
        12 + 4 + System.Text.Encoding.UTF8.GetByteCount(_policy.Uri) + 4 + (_policy.ClientCertificate?.Length ?? 0) + 4 + (_policy.ServerCertificateThumbprint?.Length ?? 0);

    private int WriteAsymmetricHeader(Span<byte> chunk, int at)
    {
        var uriLength = System.Text.Encoding.UTF8.GetBytes(_policy.Uri, chunk[(at + 4)..]);
        BinaryPrimitives.WriteInt32LittleEndian(chunk[at..], uriLength);
        at += 4 + uriLength;
        at = WriteByteString(chunk, at, _policy.ClientCertificate);
        return WriteByteString(chunk, at, _policy.ServerCertificateThumbprint);

        static int WriteByteString(Span<byte> chunk, int at, byte[]? value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(chunk[at..], value is null ? -1 : value.Length);
            value?.CopyTo(chunk[(at + 4)..]);
            return at + 4 + (value?.Length ?? 0);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync(_stop.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (TryTakeChunk(ref buffer)) { }
                _input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                    throw new UaServiceException(StatusCode.BadConnectionClosed, $"{_endpointUrl} closed the connection");
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            Fail(null);
        }
        catch (UaDecodingException ex)
        {
            Fail(new UaServiceException(ex.Status, $"Malformed message from {_endpointUrl} on channel {_channelId}", ex));
        }
        catch (UaServiceException ex)
        {
            Fail(ex);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            Fail(new UaServiceException(StatusCode.BadConnectionClosed, $"Connection to {_endpointUrl} lost", ex));
        }
    }

    internal bool TryTakeChunk(ref ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length < MessageHeaderSize) return false;
        Span<byte> header = stackalloc byte[MessageHeaderSize];
        buffer.Slice(0, MessageHeaderSize).CopyTo(header);
        var size = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        var isError = header[..3].SequenceEqual("ERR"u8);
        if (size < (isError ? 16u : SymmetricHeaderSize + SequenceHeaderSize))
            throw new UaDecodingException($"Chunk declares {size} bytes, less than its headers", StatusCode.BadTcpMessageTypeInvalid);
        if (size > LocalLimits.ReceiveBufferSize)
            throw new UaDecodingException($"Chunk of {size} bytes exceeds the negotiated receive buffer of {LocalLimits.ReceiveBufferSize}", StatusCode.BadTcpMessageTooLarge);
        if (buffer.Length < size) return false;
        var chunk = buffer.Slice(0, size);
        if (chunk.IsSingleSegment)
        {
            ProcessChunk(chunk.FirstSpan);
        }
        else
        {
            var copy = ArrayPool<byte>.Shared.Rent((int)size);
            try
            {
                chunk.CopyTo(copy);
                ProcessChunk(copy.AsSpan(0, (int)size));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(copy);
            }
        }
        buffer = buffer.Slice(size);
        return true;
    }

    /// <summary>Handles one complete chunk (the size already checked against the receive buffer).</summary>
    internal void ProcessChunk(ReadOnlySpan<byte> chunk)
    {
        var reader = new UaBinaryReader(chunk);
        var type = reader.ReadRaw(3);
        var chunkType = reader.ReadByte();
        reader.ReadUInt32();
        if (type.SequenceEqual("ERR"u8))
        {
            var error = reader.ReadUInt32();
            var reason = reader.ReadString();
            throw new UaServiceException(error, $"{_endpointUrl} sent Error '{reason}'");
        }
        var isOpen = type.SequenceEqual("OPN"u8);
        if (!isOpen && !type.SequenceEqual("MSG"u8))
            throw new UaDecodingException($"Unexpected message type '{System.Text.Encoding.ASCII.GetString(type)}'", StatusCode.BadTcpMessageTypeInvalid);
        if (chunkType is not ((byte)'F' or (byte)'C' or (byte)'A'))
            throw new UaDecodingException($"Unknown chunk type 0x{chunkType:X2}", StatusCode.BadTcpMessageTypeInvalid);
        var channelId = reader.ReadUInt32();
        if (_channelId != 0 && channelId != _channelId)
            throw new UaDecodingException($"Chunk for channel {channelId} arrived on channel {_channelId}", StatusCode.BadSecureChannelIdInvalid);
        byte[]? senderCertificate = null;
        byte[]? receiverThumbprint = null;
        uint tokenId = 0;
        if (isOpen)
        {
            var policyUri = reader.ReadString();
            if (!string.Equals(policyUri, _policy.Uri, StringComparison.Ordinal))
                throw new UaDecodingException($"OpenSecureChannel response uses policy '{policyUri}', not '{_policy.Uri}'", StatusCode.BadSecurityChecksFailed);
            senderCertificate = reader.ReadByteString();
            receiverThumbprint = reader.ReadByteString();
        }
        else
        {
            tokenId = reader.ReadUInt32();
            if (tokenId != _tokenId && tokenId != _previousTokenId)
                throw new UaDecodingException($"Chunk uses unknown security token {tokenId}", StatusCode.BadSecureChannelTokenUnknown);
        }
        if (_policy.Mode == MessageSecurityMode.None)
        {
            ProcessPayload(chunk, reader.Position, chunkType);
            return;
        }
        // Verify and decrypt a private copy; only what passes the checks is parsed further.
        var securedFrom = reader.Position;
        var copy = ArrayPool<byte>.Shared.Rent(chunk.Length);
        try
        {
            var secured = copy.AsSpan(0, chunk.Length);
            chunk.CopyTo(secured);
            var end = isOpen
                ? _policy.UnsecureAsymmetricChunk(secured, securedFrom, senderCertificate, receiverThumbprint)
                : _policy.UnsecureSymmetricChunk(secured, securedFrom, tokenId);
            ProcessPayload(secured[..end], securedFrom, chunkType);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>Handles the sequence header and body of a chunk (verified and decrypted when secured).</summary>
    private void ProcessPayload(ReadOnlySpan<byte> chunk, int sequenceHeaderAt, byte chunkType)
    {
        if (chunk.Length - sequenceHeaderAt < SequenceHeaderSize)
            throw new UaDecodingException($"Chunk of {chunk.Length} bytes has no room for its sequence header", StatusCode.BadTcpMessageTypeInvalid);
        var sequence = BinaryPrimitives.ReadUInt32LittleEndian(chunk[sequenceHeaderAt..]);
        var requestId = BinaryPrimitives.ReadUInt32LittleEndian(chunk[(sequenceHeaderAt + 4)..]);
        CheckSequence(sequence);
        var body = chunk[(sequenceHeaderAt + SequenceHeaderSize)..];

        if (chunkType == (byte)'A')
        {
            _assemblies.Remove(requestId, out var aborted);
            aborted?.Dispose();
            var abortReader = new UaBinaryReader(body);
            var error = abortReader.ReadUInt32();
            var reason = abortReader.ReadString();
            if (_pending.TryGetValue(requestId, out var abortedRequest))
                abortedRequest.TrySetException(new UaServiceException(error, $"The server aborted the response to request {requestId} ({reason})"));
            return;
        }

        if (chunkType == (byte)'C' || _assemblies.ContainsKey(requestId))
        {
            if (!_assemblies.TryGetValue(requestId, out var assembly))
            {
                if (_assemblies.Count >= MaxPartialMessages)
                    throw new UaDecodingException($"More than {MaxPartialMessages} responses are partially received", StatusCode.BadTcpInternalError);
                assembly = new MessageAssembly();
                _assemblies[requestId] = assembly;
            }
            assembly.Append(body, LocalLimits);
            if (chunkType == (byte)'C') return;
            _assemblies.Remove(requestId);
            if (assembly.Overflow is { } overflow)
            {
                assembly.Dispose();
                if (_pending.TryGetValue(requestId, out var tooLarge))
                    tooLarge.TrySetException(new UaServiceException(StatusCode.BadResponseTooLarge, $"Response to request {requestId} {overflow}"));
                return;
            }
            Complete(requestId, assembly.Detach(out var length), length);
            return;
        }

        var single = ArrayPool<byte>.Shared.Rent(Math.Max(body.Length, 1));
        body.CopyTo(single);
        Complete(requestId, single, body.Length);
    }

    /// <summary>Starts the receive loop on a channel made by the internal constructor (tests that play
    /// the server on a raw socket).</summary>
    internal void StartReceiveLoop() => _receiveLoop = Task.Run(ReceiveLoopAsync, CancellationToken.None);

    /// <summary>Forgets the receive sequence and partial messages (decoder tests feed unrelated chunks).</summary>
    internal void ResetReceiveState()
    {
        _receivedAny = false;
        foreach (var assembly in _assemblies.Values) assembly.Dispose();
        _assemblies.Clear();
    }

    private void CheckSequence(uint sequence)
    {
        // Sequence numbers grow by one per chunk; they may wrap around after 4,294,966,271.
        if (_receivedAny && sequence != _receiveSequence + 1 && !(sequence < 1024 && _receiveSequence > uint.MaxValue - 1024))
            throw new UaDecodingException($"Sequence number {sequence} does not follow {_receiveSequence}", StatusCode.BadSequenceNumberInvalid);
        _receivedAny = true;
        _receiveSequence = sequence;
    }

    private void Complete(uint requestId, byte[] buffer, int length)
    {
        if (!_pending.TryGetValue(requestId, out var pending))
        {
            // The caller gave up (timeout or cancellation); nobody wants the answer.
            ArrayPool<byte>.Shared.Return(buffer);
            return;
        }
        try
        {
            var typeId = UaResponse.ReadTypeId(buffer.AsSpan(0, length), out var consumed);
            if (typeId == ServiceFaultId)
            {
                var reader = new UaBinaryReader(buffer.AsSpan(consumed, length - consumed));
                var header = ResponseHeader.Read(ref reader);
                pending.TrySetException(new UaServiceException(header.ServiceResult, $"Request {requestId} failed with a ServiceFault"));
                ArrayPool<byte>.Shared.Return(buffer);
                return;
            }
            var response = new UaResponse(buffer, consumed, length - consumed, typeId);
            if (!pending.TrySetResult(response)) response.Dispose();
        }
        catch (UaDecodingException ex)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            pending.TrySetException(new UaServiceException(ex.Status, $"Response to request {requestId} is malformed", ex));
        }
    }

    private void ThrowIfClosed()
    {
        if (_closed.Task.IsCompleted)
            throw new UaServiceException(StatusCode.BadSecureChannelClosed, $"Channel {_channelId} to {_endpointUrl} is closed", _closed.Task.Result ?? new ObjectDisposedException(nameof(UaSecureChannel)));
    }

    private void Fail(Exception? error)
    {
        if (!_closed.TrySetResult(error)) return;
        if (error is not null)
            _logger.LogWarning(error, "Secure channel {ChannelId} to {Endpoint} closed: {Reason}", _channelId, _endpointUrl, error.Message);
        _stop.Cancel();
        var closedError = new UaServiceException(StatusCode.BadSecureChannelClosed, $"Channel {_channelId} to {_endpointUrl} closed", error ?? new ObjectDisposedException(nameof(UaSecureChannel)));
        foreach (var (_, pending) in _pending) pending.TrySetException(closedError);
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already gone.
        }
        catch (ObjectDisposedException)
        {
            // Already disposed.
        }
    }

    /// <summary>Closes the channel: sends CloseSecureChannel when still connected, then closes the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closing, 1) == 1) return;
        if (IsOpen && _channelId != 0)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _sendLock.WaitAsync(timeout.Token).ConfigureAwait(false);
                try
                {
                    await WriteCloseAsync(timeout.Token).ConfigureAwait(false);
                }
                finally
                {
                    _sendLock.Release();
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                _logger.LogDebug(ex, "CloseSecureChannel to {Endpoint} not sent", _endpointUrl);
            }
        }
        Fail(null);
        try
        {
            await Task.WhenAll(_receiveLoop, _renewLoop).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogDebug(ex, "Channel loops of {Endpoint} ended with an error", _endpointUrl);
        }
        await _input.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        foreach (var assembly in _assemblies.Values) assembly.Dispose();
        _assemblies.Clear();
        _body.Dispose();
        if (_chunk.Length > 0) ArrayPool<byte>.Shared.Return(_chunk);
        _chunk = [];
        _stop.Dispose();
    }

    private async ValueTask WriteCloseAsync(CancellationToken cancellationToken)
    {
        _body.Reset();
        _body.WriteNodeId(new NodeId(CloseSecureChannelRequestId));
        ResponseHeader.WriteRequestHeader(_body, NodeId.Null, 0, 1000);
        var requestId = (uint)Interlocked.Increment(ref _requestId);
        await WriteChunksAsync(ChunkKind.Close, requestId, cancellationToken).ConfigureAwait(false);
    }
}
