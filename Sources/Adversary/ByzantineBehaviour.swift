import LedgerCore
import LedgerCrypto
import PBFT

/// A message a Byzantine replica actually puts on the wire, after its behaviour transformed
/// what the real replica wanted to send.
public struct Emission: Sendable {
    /// The message (possibly forged, re-signed with the replica's own key, or corrupted).
    public var message: LedgerMessage
    /// Who receives it.
    public var recipients: [ReplicaID]
    /// Extra delay before it leaves, in milliseconds (0 = now).
    public var delayMs: UInt64

    /// An emission to `recipients` after `delayMs`.
    public init(_ message: LedgerMessage, to recipients: [ReplicaID], delayMs: UInt64 = 0) {
        self.message = message
        self.recipients = recipients
        self.delayMs = delayMs
    }
}

/// What a behaviour may use: its own identity, its own signer, the public parameters and the
/// local clock. Never another replica's key.
public struct AdversaryContext: Sendable {
    /// The Byzantine replica's id.
    public var replica: ReplicaID
    /// Number of validators `n`.
    public var replicaCount: Int
    /// The chain id signatures cover.
    public var chainID: String
    /// The epoch signatures cover.
    public var epoch: UInt64
    /// The replica's own signer (the only key it holds).
    public var signer: any MessageSigner
    /// The replica's clock reading, milliseconds since the Unix epoch.
    public var nowMs: UInt64
    /// The backups' initial view-change timeout, milliseconds.
    public var viewChangeTimeoutMs: UInt64
    /// The watermark window `L`.
    public var window: UInt64
    /// The quorum the replicas use: `QuorumRule`'s, unless the simulator's self-test overrides it
    /// (`ReplicaConfiguration.quorumOverride`).
    public var quorum: Int

    /// A context from its parts; `quorum` defaults to `QuorumRule`'s for `replicaCount`.
    public init(
        replica: ReplicaID, replicaCount: Int, chainID: String, signer: any MessageSigner, nowMs: UInt64,
        viewChangeTimeoutMs: UInt64, window: UInt64, quorum: Int? = nil, epoch: UInt64 = 0
    ) {
        self.replica = replica
        self.replicaCount = replicaCount
        self.chainID = chainID
        self.epoch = epoch
        self.signer = signer
        self.nowMs = nowMs
        self.viewChangeTimeoutMs = viewChangeTimeoutMs
        self.window = window
        self.quorum = quorum ?? (QuorumRule(replicaCount) ?? .single).quorum
    }

    /// `f = (n - 1) / 3` (`QuorumRule`).
    public var f: Int { (QuorumRule(replicaCount) ?? .single).f }

    /// Every replica except this one, in id order.
    public var others: [ReplicaID] { (0..<replicaCount).map(ReplicaID.init).filter { $0 != replica } }

    /// The chain and epoch signatures cover.
    public var signingContext: SigningContext { SigningContext(chainID: chainID, epoch: epoch) }

    /// Signs `body` with the replica's own key under its own id.
    public func sign<Body: SignableBody>(_ body: Body) -> Signed<Body> {
        Signed.make(body, signer: replica, using: signer, context: signingContext)
    }

    /// Signs `body` with the replica's own key but claims `claimed` signed it (a forgery that
    /// verification must reject).
    public func forge<Body: SignableBody>(_ body: Body, claiming claimed: ReplicaID) -> Signed<Body> {
        let real = Signed.make(body, signer: replica, using: signer, context: signingContext)
        return Signed(body: body, epoch: real.epoch, signer: claimed, signature: real.signature)
    }
}

/// A Byzantine behaviour: wraps a real `Replica`, transforming what it sends and what it is fed.
///
/// The driver (simulator or node) runs the real replica unchanged and routes its outgoing
/// messages through `transform`; requests go through `filter` before the replica sees them;
/// verified incoming messages are shown to `observe`. A behaviour holds only its own signer.
public protocol ByzantineBehaviour {
    /// The strategy this behaviour implements.
    var strategy: ByzantineStrategy { get }

    /// Turns one message the real replica wants to send to `recipients` into what goes out.
    mutating func transform(_ message: LedgerMessage, to recipients: [ReplicaID], context: AdversaryContext) -> [Emission]

    /// Filters client requests before the replica sees them.
    mutating func filter(requests: [Transaction]) -> [Transaction]

    /// Sees each verified message the replica receives.
    mutating func observe(incoming message: LedgerMessage)

    /// `true` if this replica restarts now and then and, when it does, forgets its consensus log.
    var forgetsLogOnRestart: Bool { get }

    /// Chooses who receives client transactions this replica passes on: its mempool gossip of
    /// the transactions its clients submitted (`recipients`: every other validator), and the
    /// requests its replica relays to the primary (`recipients`: the primary). `primary` is the
    /// primary of the replica's current view.
    mutating func gossipRecipients(_ transactions: [Transaction], to recipients: [ReplicaID], primary: ReplicaID) -> [ReplicaID]

    /// `true` if the simulator should make clients submit to this replica alone (a validator
    /// whose RPC endpoint the clients use), so its gossip is the only way their transactions
    /// reach the others.
    var attractsClients: Bool { get }
}

extension ByzantineBehaviour {
    public mutating func filter(requests: [Transaction]) -> [Transaction] { requests }
    public mutating func observe(incoming message: LedgerMessage) {}
    public var forgetsLogOnRestart: Bool { false }
    public mutating func gossipRecipients(_ transactions: [Transaction], to recipients: [ReplicaID], primary: ReplicaID) -> [ReplicaID] {
        recipients
    }
    public var attractsClients: Bool { false }
}
