/// What the load generator needs from one WebSocket message of a `blocks` subscription, read straight from the
/// node's compact JSON (`{"type":"block","block":{"hash":…,"header":{"height":"12",…},"txs":[{"hash":…},…],
/// "receipts":[{"tx_hash":…,"index":0,"status":"failed","reason":…},…]}}`) without building a document: a block
/// of 1,000 transactions is ~0.5 MB of JSON and arrives from four nodes at once.
public enum BlockNotification: Equatable, Sendable {
    /// A committed block.
    case block(height: UInt64, transactionHashes: [[UInt8]], failed: [FailedReceipt])
    /// The node dropped this subscriber for reading too slowly.
    case dropped(reason: String)
    /// Anything else (the `subscribe` response, an error): not a notification.
    case other

    /// A receipt with status "failed".
    public struct FailedReceipt: Equatable, Sendable {
        /// The transaction's hash (32 bytes).
        public var transactionHash: [UInt8]
        /// The node's reason text (e.g. "wrong nonce: expected 7, got 9").
        public var reason: String

        /// A failed receipt from its parts.
        public init(transactionHash: [UInt8], reason: String) {
            self.transactionHash = transactionHash
            self.reason = reason
        }
    }

    private static let blockType = Array(#""type":"block""#.utf8)
    private static let droppedType = Array(#""type":"dropped""#.utf8)
    private static let reasonKey = Array(#""reason":""#.utf8)
    private static let heightKey = Array(#""header":{"height":""#.utf8)
    private static let txsKey = Array(#""txs":["#.utf8)
    private static let receiptsKey = Array(#""receipts":["#.utf8)
    private static let txHashKey = Array(#"{"hash":""#.utf8)
    private static let receiptKey = Array(#"{"tx_hash":""#.utf8)
    private static let statusFailed = Array(#""status":"failed""#.utf8)

    /// Reads one message; a malformed block is `nil` (the caller reports it).
    public static func parse(_ text: [UInt8]) -> BlockNotification? {
        text.withUnsafeBufferPointer { parse($0) }
    }

    /// Reads one message from raw bytes; a malformed block is `nil`.
    public static func parse(_ b: UnsafeBufferPointer<UInt8>) -> BlockNotification? {
        let n = b.count
        guard ByteSearch.find(blockType, in: b, from: 0, to: min(n, 256)) != nil else {
            if ByteSearch.find(droppedType, in: b, from: 0, to: n) != nil {
                return .dropped(reason: string(after: reasonKey, in: b, from: 0) ?? "unknown")
            }
            return .other
        }
        guard let h = ByteSearch.find(heightKey, in: b, from: 0, to: n),
              let height = ByteSearch.decimal(in: b, at: h + heightKey.count),
              let t = ByteSearch.find(txsKey, in: b, from: h, to: n),
              let r = ByteSearch.find(receiptsKey, in: b, from: t, to: n) else { return nil }
        var hashes: [[UInt8]] = []
        var i = t + txsKey.count
        while let at = ByteSearch.find(txHashKey, in: b, from: i, to: r) {
            guard let digest = ByteSearch.hash32(in: b, at: at + txHashKey.count) else { return nil }
            hashes.append(digest)
            i = at + txHashKey.count + 64
        }
        var failed: [FailedReceipt] = []
        i = r + receiptsKey.count
        while let f = ByteSearch.find(statusFailed, in: b, from: i, to: n) {
            // The receipt's tx_hash is the last one before its status.
            var start = i, hashAt: Int?
            while let at = ByteSearch.find(receiptKey, in: b, from: start, to: f) { hashAt = at; start = at + receiptKey.count }
            guard let hashAt, let digest = ByteSearch.hash32(in: b, at: hashAt + receiptKey.count) else { return nil }
            failed.append(FailedReceipt(transactionHash: digest, reason: string(after: reasonKey, in: b, from: f) ?? "unknown"))
            i = f + statusFailed.count
        }
        return .block(height: height, transactionHashes: hashes, failed: failed)
    }

    /// The JSON string value after `key` (which ends with the opening quote), up to 200 bytes, escapes kept.
    private static func string(after key: [UInt8], in b: UnsafeBufferPointer<UInt8>, from: Int) -> String? {
        guard let k = ByteSearch.find(key, in: b, from: from, to: b.count) else { return nil }
        var end = k + key.count
        while end < b.count, b[end] != 0x22, end - k < 200 {
            end += b[end] == 0x5C ? 2 : 1
        }
        return String(decoding: UnsafeBufferPointer(rebasing: b[(k + key.count)..<min(end, b.count)]), as: UTF8.self)
    }
}
