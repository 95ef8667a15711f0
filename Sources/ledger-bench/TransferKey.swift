/// A transaction hash as four words: a cheap dictionary key for finding a committed hash among millions of
/// pre-signed transfers.
struct TransferKey: Hashable, Sendable {
    var a: UInt64, b: UInt64, c: UInt64, d: UInt64

    /// The key of a 32-byte hash.
    init(_ bytes: [UInt8]) {
        precondition(bytes.count == 32, "a transaction hash has 32 bytes")
        func word(_ i: Int) -> UInt64 {
            var w: UInt64 = 0
            for j in 0..<8 { w = w << 8 | UInt64(bytes[i * 8 + j]) }
            return w
        }
        a = word(0); b = word(1); c = word(2); d = word(3)
    }
}
