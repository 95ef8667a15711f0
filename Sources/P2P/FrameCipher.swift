import LedgerCrypto

/// The kinds of sealed frame; the first plaintext byte of every frame after the handshake.
enum FrameKind: UInt8, Sendable {
    /// An application payload follows.
    case payload = 0x00
    /// No content; keeps the read-idle timer of the peer from firing.
    case keepalive = 0x01
}

/// Seals outgoing frames of one direction with a counter nonce that is never reused.
///
/// Counters run 0, 1, 2, …; the last value, `UInt64.max`, is never used, and asking for it
/// throws `counterExhausted` (the connection must then be closed and re-established).
struct FrameSealer: Sendable {
    private let key: AEADKey
    private(set) var nextCounter: UInt64

    init(key: AEADKey, nextCounter: UInt64 = 0) {
        self.key = key
        self.nextCounter = nextCounter
    }

    /// Seals `kind ‖ payload` and advances the counter.
    mutating func seal(_ kind: FrameKind, payload: [UInt8]) throws(TransportError) -> [UInt8] {
        guard nextCounter != UInt64.max else { throw .counterExhausted }
        let sealed: [UInt8]
        do {
            sealed = try key.seal([kind.rawValue] + payload, counter: nextCounter)
        } catch {
            throw .malformedFrame("payload cannot be sealed: \(error)")
        }
        nextCounter += 1
        return sealed
    }
}

/// Opens incoming frames of one direction, expecting counters 0, 1, 2, … in order, so a
/// replayed, dropped or reordered frame fails authentication.
struct FrameOpener: Sendable {
    private let key: AEADKey
    private(set) var nextCounter: UInt64

    init(key: AEADKey, nextCounter: UInt64 = 0) {
        self.key = key
        self.nextCounter = nextCounter
    }

    /// Opens one frame; returns its kind and payload.
    mutating func open(_ sealed: [UInt8]) throws(TransportError) -> (kind: FrameKind, payload: [UInt8]) {
        guard nextCounter != UInt64.max else { throw .counterExhausted }
        let plain: [UInt8]
        do {
            plain = try key.open(sealed, counter: nextCounter)
        } catch {
            throw .frameAuthenticationFailed
        }
        nextCounter += 1
        guard let first = plain.first else { throw .malformedFrame("empty plaintext, missing frame kind") }
        guard let kind = FrameKind(rawValue: first) else { throw .malformedFrame("unknown frame kind \(first)") }
        if kind == .keepalive, plain.count != 1 {
            throw .malformedFrame("keep-alive frame carries \(plain.count - 1) bytes")
        }
        return (kind, Array(plain.dropFirst()))
    }
}
