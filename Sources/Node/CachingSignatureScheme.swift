import LedgerCore
import LedgerCrypto
import PBFT
import Synchronization

/// A `SignatureScheme` that verifies each distinct (signer, signature, signed bytes) once per
/// node and answers repeats from memory.
///
/// Consensus messages arrive more than once: a VIEW-CHANGE is re-sent on every retransmission
/// tick and in answer to every STATUS of a replica changing view, and each one carries the
/// prepared certificates of the whole window (one PRE-PREPARE and quorum − 1 PREPAREs each, the same
/// signatures in every replica's VIEW-CHANGE and again inside the NEW-VIEW). Checked afresh, a
/// view change under an open-loop load near the peak cost a backup thousands of Ed25519
/// verifications a second (62 % of its CPU in one profile) and stretched the view change over
/// seconds while load kept arriving. Identical STATUS messages (deterministic signatures over an
/// unchanged state) are hits too. A hit costs one BLAKE2b over the signer, the signature and the
/// bytes; the signed bytes already cover the chain id, and a signer index names one genesis key.
///
/// Only valid signatures are remembered: an invalid one is checked (and refused) every time, so
/// a bad signature can never be answered as good. Bounded: when a generation fills, the older
/// one is forgotten.
///
/// The schemes of several epochs (each its own validator keys) share one memory
/// (`SignatureMemo`): a signer index names a different key in another epoch, but the signed bytes
/// name their epoch (`SigningContext`), so a remembered (index, signature, bytes) was checked with
/// the keys of that epoch and no other.
public final class CachingSignatureScheme: SignatureScheme {
    private let base: any SignatureScheme
    /// The memory of valid signatures (shared by the schemes of every epoch).
    let memo: SignatureMemo

    /// Wraps `base`, remembering valid signatures in `memo` (a new one of about `capacity` signatures by default).
    public init(_ base: any SignatureScheme, memo: SignatureMemo? = nil,
                capacity: Int = NodeLimits.verifiedSignatureCacheCapacity) {
        self.base = base
        self.memo = memo ?? SignatureMemo(capacity: capacity)
    }

    public var replicaCount: Int { base.replicaCount }

    /// How many checks were answered from memory, and how many were asked for in all (every scheme sharing the memo).
    public var statistics: (hits: UInt64, checks: UInt64) { memo.statistics }

    public func isValid(_ signature: Signature, by replica: ReplicaID, over bytes: [UInt8]) -> Bool {
        let key = Self.key(signature, by: replica, over: bytes)
        if memo.contains(key) { return true }
        guard base.isValid(signature, by: replica, over: bytes) else { return false }
        memo.insert(key)
        return true
    }

    /// BLAKE2b-256 of the signer's index, the signature and the signed bytes: equal keys mean the
    /// same signer signed the same bytes with the same signature.
    static func key(_ signature: Signature, by replica: ReplicaID, over bytes: [UInt8]) -> Digest {
        var hasher = Hasher256()
        var index = UInt64(truncatingIfNeeded: replica.index).littleEndian
        withUnsafeBytes(of: &index) { hasher.update($0) }
        signature.withUnsafeBytes { hasher.update($0) }
        hasher.update(bytes)
        return hasher.finalize()
    }
}

/// The valid signatures a node has checked (keys from `CachingSignatureScheme.key`), in two
/// generations of about `capacity / 2` each: when one fills, the older is forgotten.
public final class SignatureMemo: Sendable {
    private struct State {
        var current: Set<Digest> = []
        var previous: Set<Digest> = []
        var hits: UInt64 = 0
        var checks: UInt64 = 0
    }
    private let state = Mutex(State())
    private let generationCapacity: Int

    /// A memory of about `capacity` valid signatures.
    public init(capacity: Int = NodeLimits.verifiedSignatureCacheCapacity) {
        generationCapacity = max(1, capacity / 2)
        state.withLock { s in
            s.current.reserveCapacity(generationCapacity)
            s.previous.reserveCapacity(generationCapacity)
        }
    }

    /// How many lookups were hits, and how many there were.
    var statistics: (hits: UInt64, checks: UInt64) { state.withLock { ($0.hits, $0.checks) } }

    /// Whether `key` is remembered (counted as a check, and a hit if so).
    func contains(_ key: Digest) -> Bool {
        state.withLock { s in
            let known = s.current.contains(key) || s.previous.contains(key)
            s.checks &+= 1
            if known { s.hits &+= 1 }
            return known
        }
    }

    /// Remembers a valid signature's `key`.
    func insert(_ key: Digest) {
        state.withLock { s in
            s.current.insert(key)
            if s.current.count >= generationCapacity {
                swap(&s.previous, &s.current)
                s.current.removeAll(keepingCapacity: true)
            }
        }
    }
}
