import LedgerCore
import LedgerCrypto

/// Decoders for bytes something already vouches for, which skip the public-key point check
/// (see `PublicKey(trustedBytes:)`): transactions read back from this node's own store, and
/// batches whose digest the caller compares with a verified commit certificate before using
/// them. Everything else about the format is checked as strictly as the regular decoders, and
/// the hashes and digests are recomputed from the decoded fields, so the result is exactly the
/// canonical value those bytes encode.
public enum TrustedDecoding {
    /// One transaction (its full signed encoding, no trailing bytes) whose keys are trusted.
    public static func transaction(_ bytes: [UInt8]) throws(DecodingError) -> Transaction {
        try ByteReader.decode(bytes) { (r: inout ByteReader) throws(DecodingError) -> Transaction in
            try transaction(from: &r, field: "transaction")
        }
    }

    /// A batch whose keys are trusted. The caller MUST check `digest` against a verified commit
    /// certificate (or otherwise vouch for it) before executing it.
    public static func batch(_ bytes: [UInt8]) throws(DecodingError) -> Batch {
        if bytes.count > Limits.batchMaxBytesHardCap {
            throw .inputTooLarge(what: "batch", size: bytes.count, maximum: Limits.batchMaxBytesHardCap)
        }
        return try ByteReader.decode(bytes) { (r: inout ByteReader) throws(DecodingError) -> Batch in
            let versionOffset = r.offset
            let version = try r.readUInt8("batch.version")
            guard version == Batch.version || version == Batch.versionWithChange else {
                throw .unsupportedVersion(field: "batch", offset: versionOffset, found: version, supported: Batch.versionWithChange)
            }
            let view = View(try r.readUInt64("batch.view"))
            let timestamp = try r.readUInt64("batch.timestamp")
            let count = try r.readLength(
                width: 4, maximum: Limits.batchMaxTransactionsHardCap, minimumElementBytes: Limits.transactionMinBytes,
                "batch.transactions")
            var transactions: [Transaction] = []
            transactions.reserveCapacity(count)
            for _ in 0..<count {
                transactions.append(try transaction(from: &r, field: "batch.transaction"))
            }
            // A validator-set change (version 2) is decoded in full: at most `Limits.batchMaxChanges`, small.
            var changes: [ValidatorSetChange] = []
            if version == Batch.versionWithChange {
                let countOffset = r.offset
                let changeCount = try r.readLength(width: 1, maximum: Limits.batchMaxChanges, "batch.changes")
                guard changeCount > 0 else {
                    throw .inconsistent(field: "batch.changes", offset: countOffset, reason: "a version-2 batch holds a change")
                }
                for _ in 0..<changeCount { changes.append(try ValidatorSetChange.decode(from: &r)) }
            }
            return Batch(view: view, timestamp: timestamp, transactions: transactions, changes: changes)
        }
    }

    /// One transaction at the reader's position (wire format in LedgerCore/Transaction.swift).
    static func transaction(from r: inout ByteReader, field: @autoclosure () -> String) throws(DecodingError) -> Transaction {
        try r.readVersion(Transaction.version, field())
        let chainOffset = r.offset
        let chainLength = try r.readLength(width: 1, maximum: Limits.chainIDMaxBytes, field() + ".chainID")
        let chainBytes = try r.readRaw(chainLength, field() + ".chainID")
        if let reason = ChainID.problem(withBytes: chainBytes) {
            throw .invalidChainID(offset: chainOffset, reason: reason)
        }
        let chainID = String(decoding: chainBytes, as: UTF8.self)
        let senderOffset = r.offset
        guard let sender = PublicKey(trustedBytes: try r.readRaw(PublicKey.byteCount, field() + ".sender")) else {
            throw .invalidPublicKey(field: field() + ".sender", offset: senderOffset)
        }
        let recipientOffset = r.offset
        guard let recipient = PublicKey(trustedBytes: try r.readRaw(PublicKey.byteCount, field() + ".recipient")) else {
            throw .invalidPublicKey(field: field() + ".recipient", offset: recipientOffset)
        }
        let amount = try r.readUInt64(field() + ".amount")
        let nonce = try r.readUInt64(field() + ".nonce")
        let memoLength = try r.readLength(width: 2, maximum: Limits.memoMaxBytes, field() + ".memo")
        let memo = memoLength == 0 ? [] : Array(try r.readRaw(memoLength, field() + ".memo"))
        let signature = try r.readSignature(field() + ".signature")
        do {
            return try Transaction(
                chainID: chainID, sender: sender, recipient: Address(publicKey: recipient), amount: amount, nonce: nonce,
                memo: memo, signature: signature)
        } catch {
            throw .inconsistent(field: field(), offset: chainOffset, reason: "\(error)")
        }
    }
}
