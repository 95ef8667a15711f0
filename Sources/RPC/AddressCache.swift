import LedgerCore
import Synchronization

/// Addresses already parsed and validated, by their text.
///
/// Parsing an address validates its public key as a prime-order curve point (~50 µs with
/// libsodium), which was about 30 % of the CPU of an `account` request. Clients ask about the
/// same few addresses again and again (a wallet polling its balance, an explorer), so a small
/// bounded cache of validated results pays; a new address still gets the full check.
final class AddressCache: Sendable {
    private let entries = Mutex<[String: Address]>([:])

    /// The process-wide cache used by RPC parameter parsing.
    static let shared = AddressCache()

    /// The validated address for `text`, parsing and caching it on a miss.
    func address(_ text: String) throws(AddressError) -> Address {
        if let hit = entries.withLock({ $0[text] }) { return hit }
        let parsed = try Address(string: text)
        entries.withLock { cache in
            if cache.count >= RPCLimits.cachedAddresses { cache.removeAll(keepingCapacity: true) }
            cache[text] = parsed
        }
        return parsed
    }
}
