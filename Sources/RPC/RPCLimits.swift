import LedgerJSON

/// Every bound of the RPC server, in one place. Each breach gets a clear error; none stops the node.
public enum RPCLimits {
    /// The largest HTTP request body accepted, bytes (413 above). A batch of `maxBatchCalls` transactions
    /// with full memos fits.
    public static let maxRequestBodyBytes = 1024 * 1024
    /// The most calls in one JSON-RPC batch request (HTTP or WebSocket).
    public static let maxBatchCalls = 32
    /// The deepest nesting of JSON arrays/objects accepted in a request.
    public static let maxJSONDepth = 16
    /// The bounds a request's JSON is parsed within (LedgerJSON's defaults are these).
    public static let json = JSONLimits(maxBytes: maxRequestBodyBytes, maxDepth: maxJSONDepth)
    /// Most TCP connections (HTTP keep-alive and WebSocket) open at once. At the cap a newcomer evicts the connection
    /// waiting longest on its client from the address holding the most (`ConnectionTable`); it is answered 503 and
    /// closed only when every open connection is being answered or is a WebSocket.
    public static let maxConnections = 512
    /// Most TCP connections open at once from one source IP address (loopback included); more are answered 429
    /// and closed. Keeps one client from taking the whole `maxConnections`; raise it (`--rpc-max-connections-per-address`)
    /// for a benchmark that opens more keep-alive connections from one machine.
    public static let maxConnectionsPerAddress = 32
    /// How long a client has to send a whole request head, ms: from connecting (first request) or from its first
    /// byte (later requests on a keep-alive connection). Past it the node answers 408 and closes (a slowloris
    /// client that trickles its headers holds a connection at most this long).
    public static let requestHeadTimeoutMs: Int64 = 10_000
    /// How long a client has to send a whole request body once its head has arrived, ms (408 and closed past it).
    /// A 1 MiB body at this bound is ~35 KiB/s, far below any real link.
    public static let requestBodyTimeoutMs: Int64 = 30_000
    /// How long a keep-alive connection may sit idle between a response and the next request, ms; it is then closed.
    public static let idleConnectionTimeoutMs: Int64 = 60_000
    /// Shortest pause between two log lines about refused or timed-out connections, ms; the ones in between are
    /// only counted (the next line says how many), so an attack cannot flood the log.
    public static let connectionLogIntervalMs: Int64 = 10_000
    /// How long a browser may cache the answer to a CORS preflight (`OPTIONS`) from an allowed origin, s
    /// (`Access-Control-Max-Age`).
    public static let corsPreflightMaxAgeSeconds = 600
    /// Validated addresses kept by `AddressCache` (emptied when full; each entry is ~100 bytes).
    public static let cachedAddresses = 4_096
    /// Most WebSocket connections open at once (a subset of `maxConnections`).
    public static let maxWebSocketConnections = 64
    /// Most live subscriptions on one WebSocket connection.
    public static let maxSubscriptionsPerConnection = 16
    /// Most messages queued for one WebSocket client; a client that lets more pile up is slow and is dropped.
    public static let webSocketSendQueueMessages = 256
    /// Most bytes queued for one WebSocket client (the other half of the slow-client rule).
    public static let webSocketSendQueueBytes = 4 * 1024 * 1024
    /// Kernel send buffer asked for on WebSocket sockets, bytes: keeps what a stalled client can park in the
    /// kernel small, so it is noticed (and dropped) early.
    public static let webSocketSocketSendBufferBytes = 64 * 1024
    /// Largest WebSocket message accepted from a client, bytes.
    public static let maxWebSocketMessageBytes = 1024 * 1024
    /// How long a dropped slow client gets to read its final "dropped" notification before its socket is closed, ms.
    public static let slowClientGraceMs = 1_000
    /// Events buffered per internal block subscription before the oldest are dropped (gaps are refilled from the store).
    public static let eventBufferPerSubscription = 256
    /// Default `broadcast_tx_commit` wait, ms.
    public static let defaultCommitTimeoutMs: UInt64 = 10_000
    /// Longest `broadcast_tx_commit` wait a client may ask for, ms.
    public static let maxCommitTimeoutMs: UInt64 = 60_000
    /// Most `broadcast_tx_commit` calls waiting at once.
    public static let maxCommitWaiters = 1_000
    /// Default and largest `limit` of `unconfirmed_txs`.
    public static let defaultUnconfirmedTxs = 30
    /// Largest `limit` of `unconfirmed_txs`.
    public static let maxUnconfirmedTxs = 100
    /// Most headers one `blockchain` call returns.
    public static let maxBlockchainHeaders = 100
    /// Distinct `method` label values in metrics (unknown names are counted as "unknown").
    public static let maxMetricMethods = 64
}
