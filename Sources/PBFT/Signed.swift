import LedgerCore
import LedgerCrypto

/// A message body with its signer and the signer's signature over the canonical signing bytes.
///
/// Signing bytes = domain tag `"bft-ledger/pbft/v1"`, chain id (length-prefixed UTF-8), the
/// message type byte, then every field of the body in canonical order. A `Signed` value may hold
/// any signature; only `MessageVerifier` decides that it is valid.
public struct Signed<Body: Hashable & Sendable>: Hashable, Sendable {
    /// The signed content.
    public var body: Body
    /// Who signed it.
    public var signer: ReplicaID
    /// The signer's signature over the signing bytes of `body`.
    public var signature: Signature

    /// Wraps an already made signature (decoding, tests, fault injection).
    public init(body: Body, signer: ReplicaID, signature: Signature) {
        self.body = body
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

/// The domain tag that starts every signing-bytes string.
let signingDomainTag: [UInt8] = Array("bft-ledger/pbft/v1".utf8)

extension WireBody {
    /// The exact bytes a signature on this body covers.
    func signingBytes(chainID: String) -> [UInt8] {
        var w = ByteWriter(capacity: 96)
        w.writeRaw(signingDomainTag)
        let chain = Array(chainID.utf8)
        w.write(UInt8(truncatingIfNeeded: chain.count))
        w.writeRaw(chain)
        w.write(Self.kind.rawValue)
        encode(into: &w)
        return w.bytes
    }
}

extension Signed where Body: WireBody {
    func encode(into w: inout ByteWriter) {
        body.encode(into: &w)
        w.write(signer)
        w.write(signature)
    }

    static func decode(from r: inout ByteReader, bounds: DecodingBounds) throws(PBFTError) -> Signed<Body> {
        let body = try Body.decode(from: &r, bounds: bounds)
        let signer = try r.replica()
        let signature = try r.signature()
        return Signed(body: body, signer: signer, signature: signature)
    }
}

extension Signed {
    /// Signs `body` as `signer` with `messageSigner` (used by the replica and by fault injection).
    public static func make(_ body: Body, signer: ReplicaID, using messageSigner: any MessageSigner, chainID: String) -> Signed<Body>
    where Body: SignableBody {
        Signed(body: body, signer: signer, signature: messageSigner.sign(body.canonicalSigningBytes(chainID: chainID)))
    }

    /// `true` if the signature verifies under `scheme` for `chainID`.
    public func isValid(scheme: any SignatureScheme, chainID: String) -> Bool where Body: SignableBody {
        guard signer.index >= 0, signer.index < scheme.replicaCount else { return false }
        return scheme.isValid(signature, by: signer, over: body.canonicalSigningBytes(chainID: chainID))
    }
}

/// A consensus message body that can be signed: PrePrepare, Prepare, Commit, Checkpoint,
/// ViewChange, NewView, Status.
public protocol SignableBody: Hashable, Sendable {
    /// The canonical bytes a signature on this body covers (see `Signed`).
    func canonicalSigningBytes(chainID: String) -> [UInt8]
}
