/// The deadline an HTTP connection is under right now, from what it has received and answered so far. Pure:
/// time comes in as arguments (monotonic nanoseconds), so it is tested without sockets or clocks; `RequestTimeoutHandler` drives it on the channel.
///
/// The rules: a fresh connection must deliver its first request head within `headTimeout` of connecting; a later
/// head within `headTimeout` of its first byte. A body must be complete within `bodyTimeout` of its head. While a
/// request is being answered nothing is timed (the handler bounds its own work, e.g. `broadcast_tx_commit`'s
/// wait). After the last response a keep-alive connection may idle for `idleTimeout`. Once the connection became a
/// WebSocket none of this applies (the WebSocket has its own pings and drop rules).
struct RequestDeadlines {
    /// Which part of the exchange a deadline guards (the `phase` label of the timeout metric).
    enum Phase: String, Sendable, CaseIterable {
        /// The request head (request line and headers).
        case header
        /// The request body.
        case body
        /// Waiting for the next request on a keep-alive connection.
        case idle
    }

    let headTimeoutMs: Int64
    let bodyTimeoutMs: Int64
    let idleTimeoutMs: Int64

    /// When the head being received began (connect, or the first byte after the last request); `nil` when no head
    /// is on its way.
    private var headStartedAt: UInt64?
    /// When the head of the request whose body is being received arrived; `nil` when no body is on its way.
    private var bodyStartedAt: UInt64?
    /// When the connection last became idle (last response written, nothing received since).
    private var idleSince: UInt64?
    /// Requests received whose response has not been written to its end.
    private(set) var responsesOwed = 0
    /// The connection is a WebSocket now.
    private(set) var isUpgraded = false

    /// A connection accepted at `now`: its first head is due within `headTimeoutMs`.
    init(headTimeoutMs: Int64, bodyTimeoutMs: Int64, idleTimeoutMs: Int64, connectedAt now: UInt64) {
        self.headTimeoutMs = headTimeoutMs
        self.bodyTimeoutMs = bodyTimeoutMs
        self.idleTimeoutMs = idleTimeoutMs
        headStartedAt = now
    }

    /// Bytes arrived. Outside a body they start a head (if none is on its way yet).
    mutating func bytesArrived(at now: UInt64) {
        guard bodyStartedAt == nil, headStartedAt == nil else { return }
        headStartedAt = now
        idleSince = nil
    }

    /// A whole request head was parsed; its body is due now.
    mutating func headReceived(at now: UInt64) {
        headStartedAt = nil
        idleSince = nil
        bodyStartedAt = now
        responsesOwed += 1
    }

    /// The request's body ended.
    mutating func requestEnded() { bodyStartedAt = nil }

    /// A response was written to its end; with none owed and nothing arriving the connection is idle from `now`.
    mutating func responseEnded(at now: UInt64) {
        responsesOwed = max(0, responsesOwed - 1)
        if responsesOwed == 0, bodyStartedAt == nil, headStartedAt == nil { idleSince = now }
    }

    /// The connection was upgraded to a WebSocket: no more HTTP deadlines.
    mutating func upgraded() { isUpgraded = true }

    /// The deadline in force and what it guards, or `nil` when none is (a request is being answered, or a WebSocket).
    var next: (phase: Phase, deadlineNs: UInt64)? {
        if isUpgraded { return nil }
        if let bodyStartedAt { return (.body, Self.after(bodyStartedAt, bodyTimeoutMs)) }
        if let headStartedAt { return (.header, Self.after(headStartedAt, headTimeoutMs)) }
        if responsesOwed > 0 { return nil }
        if let idleSince { return (.idle, Self.after(idleSince, idleTimeoutMs)) }
        return nil
    }

    /// The limit of `phase`, ms.
    func limitMs(of phase: Phase) -> Int64 {
        switch phase {
        case .header: headTimeoutMs
        case .body: bodyTimeoutMs
        case .idle: idleTimeoutMs
        }
    }

    private static func after(_ start: UInt64, _ ms: Int64) -> UInt64 {
        start.addingReportingOverflow(UInt64(max(0, ms)).multipliedReportingOverflow(by: 1_000_000).partialValue).partialValue
    }

    /// The phase that timed out at `now`, or `nil` when the deadline in force has not passed.
    func expired(at now: UInt64) -> Phase? {
        guard let (phase, deadline) = next, deadline <= now else { return nil }
        return phase
    }

    /// Since when the connection has been waiting on its client with no answer of ours under way: silent or still
    /// sending a request head or body, or idle between requests. Such a connection can be closed to make room for
    /// another without cutting off a response (`ConnectionTable`'s eviction). `nil` while a request is being
    /// answered, or once the connection is a WebSocket.
    var waitingSince: UInt64? {
        guard !isUpgraded, canAnswerTimeout else { return nil }
        return bodyStartedAt ?? headStartedAt ?? idleSince
    }

    /// Whether a 408 answer can be written without interleaving with a response already under way: only the
    /// request being received (if any) is owed an answer, and none of it was written.
    var canAnswerTimeout: Bool { responsesOwed == (bodyStartedAt == nil ? 0 : 1) }
}
