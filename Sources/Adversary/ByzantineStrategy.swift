import LedgerCrypto

/// The Byzantine behaviours, by the names used on the command line (`--byzantine MODE` on a
/// node, `--strategy NAME` in the simulator).
public enum ByzantineStrategy: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// As primary, sends different batches to different backups at the same sequence number.
    case equivocate
    /// Sends nothing at all (a crashed-but-connected replica).
    case silent
    /// As primary, holds every proposal back until just under the backups' view-change timeout.
    case slowPrimary = "slow-primary"
    /// Signs conflicting PREPAREs and COMMITs for the same (view, seq) to different peers.
    case doubleVote = "double-vote"
    /// Restarts now and then without its consensus log, free to contradict what it signed.
    case amnesia
    /// Sends messages whose signatures do not verify.
    case badSignature = "bad-signature"
    /// Claims to be another replica (signs with its own key under another id).
    case forgeSender = "forge-sender"
    /// Re-sends old messages it received or sent earlier.
    case replay
    /// Floods stale-view messages and far-future sequence numbers beyond the watermarks.
    case flood
    /// Puts forged prepared certificates into its VIEW-CHANGE messages.
    case fakePrepared = "fake-prepared"
    /// As new primary, sends a NEW-VIEW whose O set does not follow from its V set.
    case badNewView = "bad-new-view"
    /// Sends CHECKPOINTs with wrong block hashes.
    case corruptCheckpoint = "corrupt-checkpoint"
    /// As primary, proposes batches that contain an invalid transaction.
    case invalidTx = "invalid-tx"
    /// Drops one client's transactions (as primary: never proposes them).
    case censor
    /// Gossips its clients' transactions to the backups only, never to the primary.
    case selectiveGossip = "selective-gossip"
    /// Replays other validators' signed STATUS, VIEW-CHANGE and BATCH-FETCH messages to honest
    /// replicas, many times, so that they send their answers to each other.
    case statusReplay = "status-replay"

    public var description: String { rawValue }

    /// The names as typed on the command line, in declaration order.
    public static var names: [String] { allCases.map(\.rawValue) }

    /// One line on what the strategy does, for `--help`.
    public var summary: String {
        switch self {
        case .equivocate: return "primary sends different batches to backups"
        case .silent: return "sends nothing"
        case .slowPrimary: return "primary holds proposals to just under the timeout"
        case .doubleVote: return "conflicting PREPAREs/COMMITs for one (view, seq)"
        case .amnesia: return "restarts without its consensus log"
        case .badSignature: return "sends messages with invalid signatures"
        case .forgeSender: return "claims to be another replica"
        case .replay: return "re-sends old messages"
        case .flood: return "stale views, sequences beyond the watermarks"
        case .fakePrepared: return "forged prepared certificates in VIEW-CHANGE"
        case .badNewView: return "NEW-VIEW with a wrong O set"
        case .corruptCheckpoint: return "CHECKPOINTs with wrong block hashes"
        case .invalidTx: return "primary proposes a batch with an invalid tx"
        case .censor: return "ignores one client's transactions"
        case .selectiveGossip: return "gossips client transactions to backups, never the primary"
        case .statusReplay: return "replays others' STATUS/VIEW-CHANGE/BATCH-FETCH to honest nodes"
        }
    }
}

extension ByzantineStrategy {
    /// The behaviour implementing this strategy.
    ///
    /// - Parameters:
    ///   - seed: seeds the behaviour's own choices (replay, flood, invalid-tx keys).
    ///   - censoredClient: the client `censor` drops (`nil`: the first sender it sees).
    ///   - coalition: shared fork knowledge for colluding `equivocate` / `double-vote` replicas.
    public func makeBehaviour(
        seed: UInt64, censoredClient: PublicKey? = nil, coalition: Coalition? = nil
    ) -> any ByzantineBehaviour {
        switch self {
        case .equivocate: return Equivocate(coalition: coalition)
        case .silent: return Silent()
        case .slowPrimary: return SlowPrimary()
        case .doubleVote: return DoubleVote(coalition: coalition)
        case .amnesia: return Amnesia()
        case .badSignature: return BadSignature()
        case .forgeSender: return ForgeSender()
        case .replay: return Replay(seed: seed)
        case .flood: return Flood(seed: seed)
        case .fakePrepared: return FakePrepared()
        case .badNewView: return BadNewView()
        case .corruptCheckpoint: return CorruptCheckpoint()
        case .invalidTx: return InvalidTransaction(seed: seed)
        case .censor: return Censor(victim: censoredClient)
        case .selectiveGossip: return SelectiveGossip()
        case .statusReplay: return StatusReplay()
        }
    }
}
