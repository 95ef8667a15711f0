import LedgerCore
import LedgerCrypto

/// VIEW-CHANGE and NEW-VIEW bodies (Castro & Liskov §4.4, with signatures instead of MACs).

/// VIEW-CHANGE(v+1, C, P): the sender stops accepting messages in its view and asks to move to
/// `newView`, carrying its stable checkpoint proof `C` and its prepared certificates `P` above it.
/// The certificates name their batches by digest only; a replica that lacks one fetches it
/// (`BatchFetch`), so the message stays small however many full batches are prepared.
public struct ViewChange: Hashable, Sendable, SignableBody, WireBody {
    /// The view the sender wants to move to.
    public var newView: View
    /// The sender's latest stable checkpoint and its proof.
    public var stableCheckpoint: CheckpointProof
    /// For each sequence number above the checkpoint that the sender prepared, the certificate
    /// from the highest view it prepared in (at most one per sequence number).
    public var preparedCertificates: [PreparedCertificate]

    /// A view change from its parts.
    public init(newView: View, stableCheckpoint: CheckpointProof, preparedCertificates: [PreparedCertificate]) {
        self.newView = newView; self.stableCheckpoint = stableCheckpoint; self.preparedCertificates = preparedCertificates
    }

    static var kind: WireKind { .viewChange }
    func encode(into w: inout ByteWriter) {
        w.write(newView)
        stableCheckpoint.encode(into: &w)
        w.write(UInt16(truncatingIfNeeded: preparedCertificates.count))
        for p in preparedCertificates { p.encode(into: &w) }
    }
    static func decode(from r: inout ByteReader, bounds: DecodingBounds) throws(PBFTError) -> ViewChange {
        let v = try r.view()
        let c = try CheckpointProof.decode(from: &r, bounds: bounds)
        let k = try r.count("prepared certificates", limit: bounds.window)
        var list: [PreparedCertificate] = []
        list.reserveCapacity(k)
        for _ in 0..<k { list.append(try PreparedCertificate.decode(from: &r, bounds: bounds)) }
        return ViewChange(newView: v, stableCheckpoint: c, preparedCertificates: list)
    }
    /// The bytes a signature on this body covers (domain tag, chain id, epoch, type, fields).
    public func canonicalSigningBytes(_ context: SigningContext) -> [UInt8] { signingBytes(context) }
}

/// NEW-VIEW(v+1, V, O): the new primary's proof that a quorum of replicas asked for the view (`V`)
/// and the pre-prepares it re-issues for the sequence gap (`O`), computed from `V` exactly as
/// every backup recomputes it. Batches of non-null `O` entries are named by digest; a backup
/// that lacks one fetches it from the new primary (which held all of them before signing).
public struct NewView: Hashable, Sendable, SignableBody, WireBody {
    /// The new view.
    public var view: View
    /// A quorum of signed VIEW-CHANGEs for `view` from distinct replicas.
    public var viewChanges: [Signed<ViewChange>]
    /// The pre-prepares for (min-s, max-s], in sequence order, signed by the new primary.
    public var prePrepares: [Signed<PrePrepare>]

    /// A new view from its parts.
    public init(view: View, viewChanges: [Signed<ViewChange>], prePrepares: [Signed<PrePrepare>]) {
        self.view = view; self.viewChanges = viewChanges; self.prePrepares = prePrepares
    }

    static var kind: WireKind { .newView }
    func encode(into w: inout ByteWriter) {
        w.write(view)
        w.write(UInt16(truncatingIfNeeded: viewChanges.count))
        for v in viewChanges { v.encode(into: &w) }
        w.write(UInt16(truncatingIfNeeded: prePrepares.count))
        for p in prePrepares { p.encode(into: &w) }
    }
    static func decode(from r: inout ByteReader, bounds: DecodingBounds) throws(PBFTError) -> NewView {
        let v = try r.view()
        let k = try r.count("new-view view changes", limit: bounds.replicaCount)
        var vcs: [Signed<ViewChange>] = []
        vcs.reserveCapacity(k)
        for _ in 0..<k { vcs.append(try Signed<ViewChange>.decode(from: &r, bounds: bounds)) }
        let m = try r.count("new-view pre-prepares", limit: bounds.window)
        var pps: [Signed<PrePrepare>] = []
        pps.reserveCapacity(m)
        for _ in 0..<m { pps.append(try Signed<PrePrepare>.decode(from: &r, bounds: bounds)) }
        return NewView(view: v, viewChanges: vcs, prePrepares: pps)
    }
    /// The bytes a signature on this body covers (domain tag, chain id, epoch, type, fields).
    public func canonicalSigningBytes(_ context: SigningContext) -> [UInt8] { signingBytes(context) }
}

/// BATCH-FETCH(v, D): the sender needs the batches with digests `D` to finish the view change
/// to `view` (a new primary building its NEW-VIEW, or a backup checking one). Each replica that
/// holds one answers with a FETCHED-BATCH per digest (`Message.fetchedBatch`), which the
/// requester accepts only for digests it asked for: the digest binds the batch to the
/// certificate or pre-prepare that named it.
public struct BatchFetch: Hashable, Sendable, SignableBody, WireBody {
    /// The view being changed to (context for the answering replica and for logs).
    public var view: View
    /// The digests wanted (at most `PBFTLimits.maxFetchDigests`, no null digest).
    public var digests: [Digest]

    /// A fetch of `digests` for the change to `view`.
    public init(view: View, digests: [Digest]) {
        self.view = view; self.digests = digests
    }

    static var kind: WireKind { .batchFetch }
    func encode(into w: inout ByteWriter) {
        w.write(view)
        w.write(UInt16(truncatingIfNeeded: digests.count))
        for d in digests { w.write(d) }
    }
    static func decode(from r: inout ByteReader, bounds: DecodingBounds) throws(PBFTError) -> BatchFetch {
        let v = try r.view()
        let k = try r.count("fetched digests", limit: PBFTLimits.maxFetchDigests)
        var list: [Digest] = []
        list.reserveCapacity(k)
        for _ in 0..<k { list.append(try r.digest()) }
        return BatchFetch(view: v, digests: list)
    }
    /// The bytes a signature on this body covers (domain tag, chain id, epoch, type, fields).
    public func canonicalSigningBytes(_ context: SigningContext) -> [UInt8] { signingBytes(context) }
}
