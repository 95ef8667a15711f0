import Foundation
import LedgerCore
import LedgerCrypto
import Node

/// Every transfer of a run, signed before the clock starts: transfer `k` is sent by bench account `k % accounts`
/// with that account's next nonce, so each sender's nonces follow one another in `k` order, to account
/// `(k + 1) % accounts`, amount 1.
final class PresignedTransfers: Sendable {
    /// Number of transfers.
    let count: Int
    /// Number of sending accounts.
    let accounts: Int
    /// The hex of every encoded transaction, back to back (ASCII).
    private let hex: [UInt8]
    /// Where transfer `k`'s hex starts in `hex`; `offsets[count]` is the end.
    private let offsets: [Int]
    /// Transfer index by transaction hash.
    let indexByHash: [TransferKey: Int32]

    /// The sender account of transfer `k`.
    func sender(of k: Int) -> Int { k % accounts }

    /// Transfer `k`'s hex-encoded transaction.
    func withHex<R>(_ k: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        hex.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[offsets[k]..<offsets[k + 1]])) }
    }

    private init(count: Int, accounts: Int, hex: [UInt8], offsets: [Int], indexByHash: [TransferKey: Int32]) {
        self.count = count; self.accounts = accounts; self.hex = hex; self.offsets = offsets; self.indexByHash = indexByHash
    }

    /// Signs `count` transfers on `chainID` from `keys` (account i's key at i) starting at `startNonces[i]`, on every
    /// core, printing progress through `progress`.
    static func sign(count: Int, chainID: String, keys: [SigningKey], startNonces: [UInt64],
                     progress: @Sendable (Int) -> Void) throws -> PresignedTransfers {
        let accounts = keys.count
        let recipients = keys.map { Address(publicKey: $0.publicKey) }
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let chunk = max(1, (count + workers * 8 - 1) / (workers * 8))
        let chunks = (count + chunk - 1) / chunk
        let parts = Parts(chunks)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            var hex: [UInt8] = []
            var lengths: [Int] = []
            var hashes: [TransferKey] = []
            var failure: String?
            let range = (c * chunk)..<min(count, (c + 1) * chunk)
            hex.reserveCapacity(range.count * 340)
            for k in range {
                let s = k % accounts
                do {
                    let tx = try Transaction.signed(
                        chainID: chainID, sender: keys[s], recipient: recipients[(s + 1) % accounts], amount: 1,
                        nonce: startNonces[s] + UInt64(k / accounts))
                    let text = Hex.encode(tx.encoded())
                    hex.append(contentsOf: text.utf8)
                    lengths.append(text.utf8.count)
                    hashes.append(TransferKey(tx.hash.bytes))
                } catch {
                    failure = "transfer \(k): \(error)"
                    break
                }
            }
            parts.set(c, Part(hex: hex, lengths: lengths, hashes: hashes, failure: failure))
            progress(parts.completedTransfers(adding: range.count))
        }
        var hex: [UInt8] = []
        var offsets: [Int] = [0]
        var index: [TransferKey: Int32] = [:]
        hex.reserveCapacity(count * 330)
        offsets.reserveCapacity(count + 1)
        index.reserveCapacity(count)
        var k: Int32 = 0
        for part in parts.all {
            if let failure = part.failure { throw LoadError.invalidOptions("cannot sign \(failure)") }
            hex.append(contentsOf: part.hex)
            for length in part.lengths { offsets.append(offsets[offsets.count - 1] + length) }
            for h in part.hashes { index[h] = k; k += 1 }
        }
        return PresignedTransfers(count: count, accounts: accounts, hex: hex, offsets: offsets, indexByHash: index)
    }

    private struct Part: Sendable {
        var hex: [UInt8]
        var lengths: [Int]
        var hashes: [TransferKey]
        var failure: String?
    }

    // Each slot is written by exactly one worker; read after concurrentPerform returns.
    private final class Parts: @unchecked Sendable {
        private var parts: [Part?]
        private var done = 0
        private let lock = NSLock()
        init(_ n: Int) { parts = Array(repeating: nil, count: n) }
        func set(_ i: Int, _ p: Part) { lock.lock(); parts[i] = p; lock.unlock() }
        func completedTransfers(adding n: Int) -> Int { lock.lock(); defer { lock.unlock() }; done += n; return done }
        var all: [Part] { lock.lock(); defer { lock.unlock() }; return parts.map { $0! } }
    }
}
