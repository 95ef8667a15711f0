import LedgerCore
import LedgerCrypto

/// A certificate that travels on its own, outside a PBFT message (stored with a block, served in state
/// transfer): its canonical encoding and a strict decoder come from its in-message wire form.
protocol StandaloneWireCoding {
    func encode(into w: inout ByteWriter)
    static func decode(from r: inout ByteReader, bounds: DecodingBounds) throws(PBFTError) -> Self
}

extension StandaloneWireCoding {
    /// The canonical encoding (the same bytes as inside PBFT messages and the consensus log).
    func standaloneEncoding() -> [UInt8] {
        var w = ByteWriter(capacity: 128)
        encode(into: &w)
        return w.bytes
    }

    /// Decodes `standaloneEncoding()`; throws on malformed input, trailing bytes or more than
    /// `replicaCount` entries.
    static func decodeStandalone(_ bytes: [UInt8], replicaCount: Int) throws(PBFTError) -> Self {
        try ByteReader.decode(bytes, mappingErrors: { PBFTError($0) }) { (r: inout ByteReader) throws(PBFTError) -> Self in
            try decode(from: &r, bounds: DecodingBounds(replicaCount: replicaCount, window: 0))
        }
    }
}

extension CommitCertificate: StandaloneWireCoding {
    /// The canonical encoding (for storing the certificate with its block).
    public func encoded() -> [UInt8] { standaloneEncoding() }

    /// Decodes `encoded()`; throws on malformed input, trailing bytes or more than `replicaCount` commits.
    public static func decode(_ bytes: [UInt8], replicaCount: Int) throws(PBFTError) -> CommitCertificate {
        try decodeStandalone(bytes, replicaCount: replicaCount)
    }
}

extension CheckpointProof: StandaloneWireCoding {
    /// The canonical encoding (the same bytes as inside VIEW-CHANGE and the consensus log).
    public func encoded() -> [UInt8] { standaloneEncoding() }

    /// Decodes `encoded()`; throws on malformed input, trailing bytes or more than `replicaCount` entries.
    public static func decode(_ bytes: [UInt8], replicaCount: Int) throws(PBFTError) -> CheckpointProof {
        try decodeStandalone(bytes, replicaCount: replicaCount)
    }
}
