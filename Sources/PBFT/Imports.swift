// The shared vocabulary (Digest, Signature, keys; ReplicaID, View, SequenceNumber) re-exported
// so users of PBFT see the same types in its API.
@_exported import LedgerCore
@_exported import LedgerCrypto
