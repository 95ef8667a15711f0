import LedgerCore
import LedgerCrypto

/// A message that passed `MessageVerifier`. Only PBFT can create one, so the replica cannot be
/// handed an unchecked message.
public struct Verified<M: Sendable>: Sendable {
    /// The verified message.
    public let message: M

    /// Internal: only the verifier (and this module's tests) wrap messages.
    init(checked message: M) { self.message = message }
}
