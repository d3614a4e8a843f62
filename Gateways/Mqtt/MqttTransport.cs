using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Imv.Gateways.Mqtt;

/// <summary>One network connection to the broker: the socket (optionally TLS), a pipe reader over it, and an
/// in-memory outgoing pipe drained by a sender task so that concurrent publishers coalesce into few writes.</summary>
internal sealed class MqttTransport : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly Pipe _outgoing;
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource<Exception?> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger _logger;
    private Task? _sender;
    private long _lastSentTicks = Environment.TickCount64;

    private MqttTransport(Socket socket, Stream stream, int maximumPacketSize, ILogger logger)
    {
        _socket = socket;
        _stream = stream;
        _logger = logger;
        var threshold = Math.Max(maximumPacketSize * 2L, 1024 * 1024);
        Input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096, leaveOpen: true));
        _outgoing = new Pipe(new PipeOptions(pauseWriterThreshold: threshold, resumeWriterThreshold: threshold / 2, useSynchronizationContext: false));
    }

    /// <summary>Bytes from the broker.</summary>
    public PipeReader Input { get; }

    /// <summary>Bytes to the broker; write only while holding <see cref="WriteGate"/>.</summary>
    public PipeWriter Output => _outgoing.Writer;

    /// <summary>Serializes writers of <see cref="Output"/>.</summary>
    public SemaphoreSlim WriteGate { get; } = new(1, 1);

    /// <summary>Cancelled when the transport closes.</summary>
    public CancellationToken Closed => _closed.Token;

    /// <summary>Completes when the transport closed, with the cause (null when closed on purpose).</summary>
    public Task<Exception?> Completion => _completion.Task;

    /// <summary>Milliseconds tick of the last write to the socket.</summary>
    public long LastSentTicks => Interlocked.Read(ref _lastSentTicks);

    /// <summary>Per-connection outgoing topic aliases (MQTT 5); touched only under <see cref="WriteGate"/>.</summary>
    public Dictionary<string, ushort> OutgoingAliases { get; } = new(StringComparer.Ordinal);

    /// <summary>The broker's Topic Alias Maximum from CONNACK.</summary>
    public ushort OutgoingAliasMaximum { get; set; }

    /// <summary>Per-connection incoming topic aliases (MQTT 5); touched only by the reader loop.</summary>
    public Dictionary<ushort, string> IncomingAliases { get; } = new();

    public static async Task<MqttTransport> OpenAsync(MqttClientOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            await socket.ConnectAsync(options.Host, options.Port, cancellationToken).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: false);
            if (options.Tls is { Enabled: true } tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                await ssl.AuthenticateAsClientAsync(CreateTlsOptions(options, tls, logger), cancellationToken).ConfigureAwait(false);
            }
            var transport = new MqttTransport(socket, stream, options.MaximumPacketSize, logger);
            transport._sender = Task.Run(transport.SendLoopAsync, CancellationToken.None);
            return transport;
        }
        catch
        {
            if (stream is not null) await stream.DisposeAsync().ConfigureAwait(false);
            socket.Dispose();
            throw;
        }
    }

    private static SslClientAuthenticationOptions CreateTlsOptions(MqttClientOptions options, MqttTlsOptions tls, ILogger logger)
    {
        var result = new SslClientAuthenticationOptions
        {
            TargetHost = tls.TargetHost ?? options.Host,
            EnabledSslProtocols = SslProtocols.None, // the OS default: TLS 1.2 and 1.3
        };
        if (MqttTlsSetup.LoadClientCertificate(tls) is { } certificate) result.ClientCertificates = new X509CertificateCollection { certificate };
        if (MqttTlsSetup.CreateValidator(options, tls, logger) is { } validate)
            result.RemoteCertificateValidationCallback = (_, certificate, _, errors) => validate(certificate, errors);
        return result;
    }

    private async Task SendLoopAsync()
    {
        var reader = _outgoing.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(_closed.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    await _stream.WriteAsync(segment, _closed.Token).ConfigureAwait(false);
                }
                if (!buffer.IsEmpty)
                {
                    await _stream.FlushAsync(_closed.Token).ConfigureAwait(false);
                    Interlocked.Exchange(ref _lastSentTicks, Environment.TickCount64);
                }
                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted) break;
            }
            Close(null);
        }
        catch (OperationCanceledException) when (_closed.IsCancellationRequested)
        {
            // Closed by the reader or by the client; the cause is already recorded.
        }
        catch (Exception ex)
        {
            Close(new IOException($"Sending to the broker failed: {ex.Message}", ex));
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Writes are finished; the sender drains what is queued, then the socket is shut down.</summary>
    public async Task DrainAndCloseAsync(TimeSpan timeout)
    {
        await CompleteOutputAsync().ConfigureAwait(false);
        if (_sender is not null)
        {
            try
            {
                await _sender.WaitAsync(timeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _logger.LogWarning("Outgoing data not drained within {Timeout}; closing anyway", timeout);
            }
        }
        Close(null);
    }

    /// <summary>Closes the transport once; later calls do nothing. <paramref name="cause"/> null means on purpose.</summary>
    public void Close(Exception? cause)
    {
        if (!_completion.TrySetResult(cause)) return;
        _closed.Cancel();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already reset by the peer: nothing left to shut down.
        }
        catch (ObjectDisposedException)
        {
            // Already disposed.
        }
        _socket.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        Close(null);
        if (_sender is not null) await _sender.ConfigureAwait(false);
        await Input.CompleteAsync().ConfigureAwait(false);
        await CompleteOutputAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>True once the outgoing pipe is completed; writers check it under <see cref="WriteGate"/>.</summary>
    public bool OutputCompleted { get; private set; }

    private async Task CompleteOutputAsync()
    {
        await WriteGate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (OutputCompleted) return;
            OutputCompleted = true;
            await _outgoing.Writer.CompleteAsync().ConfigureAwait(false);
        }
        finally
        {
            WriteGate.Release();
        }
    }
}
