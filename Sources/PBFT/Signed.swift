import LedgerCore
import LedgerCrypto

/// A message body with the epoch it was signed in, its signer and the signer's signature over
/// the canonical signing bytes.
///
/// Signing bytes = domain tag `"bft-ledger/pbft/v2"`, chain id (length-prefixed UTF-8), epoch
/// (8 bytes), the message type byte, then every field of the body in canonical order
/// (docs/wire-format.md, "Consensus messages"). On the wire a signed body is epoch ‖ body ‖
/// signer ‖ signature, so a receiver refuses a message of another epoch before it checks any
/// signature (`MessageVerifier`). A `Signed` value may hold any signature; only
/// `MessageVerifier` (or a certificate's `verify`) decides that it is valid.
public struct Signed<Body: Hashable & Sendable>: Hashable, Sendable {
    /// The signed content.
    public var body: Body
    /// The epoch the signer signed in (part of the signing bytes).
    public var epoch: UInt64
    /// Who signed it.
    public var signer: ReplicaID
    /// The signer's signature over the signing bytes of `body` in `epoch`.
    public var signature: Signature

    /// Wraps an already made signature (decoding, tests, fault injection).
    public init(body: Body, epoch: UInt64, signer: ReplicaID, signature: Signature) {
        self.body = body
        self.epoch = epoch
        self.signer = signer
        self.signature = signature
    }
}

/// The message-type byte that appears on the wire and in the signing bytes.
enum WireKind: UInt8 {
    case prePrepare = 1, prepare, commit, checkpoint, viewChange, newView, status, committedBatch, batchFetch, fetchedBatch
}

/// Bounds a decoder applies to peer-controlled counts.
struct DecodingBounds {
    var replicaCount: Int
    var window: Int
}

/// A body with a canonical encoding (internal; the public types conform).
protocol WireBody: Hashable, Sendable {
    static var kind: WireKind { get }
    func encode(into w: inout ByteWriter)
    static func decode(from r: inout ByteReader, bounds: DecodingBounds) throws(PBFTError) -> Self
}

/// The domain tag that starts every signing-bytes string. `v2` added the epoch: a `v1`
/// signature (no epoch) is never valid as a `v2` one.
let signingDomainTag: [UInt8] = Array("bft-ledger/pbft/v2".utf8)

extension WireBody {
    /// The exact bytes a signature on this body covers in `context`.
    func signingBytes(_ context: SigningContext) -> [UInt8] {
        var w = ByteWriter(capacity: 104)
        w.writeRaw(signingDomainTag)
        let chain = Array(context.chainID.utf8)
        w.write(UInt8(truncatingIfNeeded: chain.count))
        w.writeRaw(chain)
        w.write(context.epoch)
        w.write(Self.kind.rawValue)
        encode(into: &w)
        return w.bytes
    }
}

extension Signed where Body: WireBody {
    func encode(into w: inout ByteWriter) {
        w.write(epoch)
        body.encode(into: &w)
        w.write(signer)
        w.write(signature)
    }

    static func decode(from r: inout ByteReader, bounds: DecodingBounds) throws(PBFTError) -> Signed<Body> {
        let epoch = try r.u64()
        let body = try Body.decode(from: &r, bounds: bounds)
        let signer = try r.replica()
        let signature = try r.signature()
        return Signed(body: body, epoch: epoch, signer: signer, signature: signature)
    }
}

extension Signed {
    /// Signs `body` as `signer` with `messageSigner` in `context` (used by the replica and by fault injection).
    public static func make(_ body: Body, signer: ReplicaID, using messageSigner: any MessageSigner,
                            context: SigningContext) -> Signed<Body>
    where Body: SignableBody {
        Signed(body: body, epoch: context.epoch, signer: signer, signature: messageSigner.sign(body.canonicalSigningBytes(context)))
    }

    /// `true` if the message is of `context`'s epoch and the signature verifies under `scheme` in `context`.
    public func isValid(scheme: any SignatureScheme, context: SigningContext) -> Bool where Body: SignableBody {
        guard epoch == context.epoch, signer.index >= 0, signer.index < scheme.replicaCount else { return false }
        return scheme.isValid(signature, by: signer, over: body.canonicalSigningBytes(context))
    }
}

/// A consensus message body that can be signed: PrePrepare, Prepare, Commit, Checkpoint,
/// ViewChange, NewView, Status, BatchFetch.
public protocol SignableBody: Hashable, Sendable {
    /// The canonical bytes a signature on this body covers in `context` (see `Signed`).
    func canonicalSigningBytes(_ context: SigningContext) -> [UInt8]
}
