import LedgerCore
import LedgerCrypto

/// Which armed timer of each kind is the live one, for a driver that cannot cancel a timer's
/// firing once it is on its way (a sleeping task, an event already queued in the simulator).
///
/// Every `arm` gets a new generation; a firing counts only if it carries the generation armed
/// last for its kind and not cancelled since (`fire`). The replica asks for at most one timer of
/// each kind (`TimerKind`), so a stale firing is dropped here, never handed to it.
public struct TimerGenerations: Sendable {
    private var live: [TimerKind: UInt64] = [:]
    private var last: UInt64 = 0

    /// No timer armed.
    public init() {}

    /// Arms `kind` (replacing any armed one) and returns the generation its firing must carry.
    public mutating func arm(_ kind: TimerKind) -> UInt64 {
        last &+= 1
        live[kind] = last
        return last
    }

    /// Disarms `kind`: a firing already on its way is dropped.
    public mutating func cancel(_ kind: TimerKind) { live[kind] = nil }

    /// Disarms every kind (the replica stopped or crashed).
    public mutating func cancelAll() { live.removeAll() }

    /// Whether a firing of `kind` carrying `generation` is the live one; if so the timer is now
    /// spent (a second firing of it is stale).
    public mutating func fire(_ kind: TimerKind, generation: UInt64) -> Bool {
        guard live[kind] == generation else { return false }
        live[kind] = nil
        return true
    }
}
