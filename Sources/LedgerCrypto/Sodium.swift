import CSodium

/// One-time libsodium initialisation.
///
/// Every public entry point that calls into libsodium touches `Sodium.ready` first;
/// Swift runs a `static let` initialiser exactly once, thread-safely.
enum Sodium {
    /// `true` once `sodium_init` has succeeded. A failure is a broken installation, not input.
    static let ready: Bool = {
        let rc = sodium_init()
        precondition(rc >= 0, "sodium_init failed: libsodium is unusable on this machine")
        return true
    }()

    @inline(__always)
    static func ensureReady() { _ = ready }
}
