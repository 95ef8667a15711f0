// Checks which peer payloads a node drops before decoding: PRE-PREPAREs, COMMITTED-BATCHes and transaction gossip, and only while it is in state transfer; votes, view changes, fetched batches and block transfer always pass. Also which payloads travel in the gossip lane.
import LedgerCore
import LedgerCrypto
@testable import Node
import PBFT
import XCTest

final class PeerWorkerDropTests: XCTestCase {
    func sig<B>(_ body: B) -> Signed<B> { Signed(body: body, epoch: 0, signer: ReplicaID(1), signature: .zero) }

    /// One message of every consensus type, encoded, with whether a transferring node drops it.
    func consensusPayloads() -> [(name: String, bytes: [UInt8], droppedWhileTransferring: Bool)] {
        consensusMessages().map { ($0.0.kindName, $0.0.encoded(), $0.1) }
    }

    /// One message of every consensus type, with whether a transferring node drops it.
    func consensusMessages() -> [(LedgerMessage, Bool)] {
        let batch = Batch(view: .zero, timestamp: 1, transactions: [])
        let d = batch.digest
        let pp = sig(PrePrepare(view: .zero, sequence: SequenceNumber(1), digest: d))
        let commit = sig(Commit(view: .zero, sequence: SequenceNumber(1), digest: d))
        let messages: [(LedgerMessage, Bool)] = [
            (.prePrepare(pp, batch: batch), true),
            (.committedBatch(CommitCertificate(view: .zero, sequence: SequenceNumber(1), digest: d, commits: [commit]), batch: batch), true),
            (.prepare(sig(Prepare(view: .zero, sequence: SequenceNumber(1), digest: d))), false),
            (.commit(commit), false),
            (.checkpoint(sig(Checkpoint(sequence: SequenceNumber(1), blockHash: d))), false),
            (.viewChange(sig(ViewChange(newView: View(1), stableCheckpoint: .genesis, preparedCertificates: []))), false),
            (.newView(sig(NewView(view: View(1), viewChanges: [], prePrepares: []))), false),
            (.status(sig(Status(view: .zero, isChangingView: false, lastExecuted: .zero, stableCheckpoint: .zero))), false),
            (.batchFetch(sig(BatchFetch(view: View(1), digests: [d]))), false),
            (.fetchedBatch(batch), false),
        ]
        return messages
    }

    /// The envelope written in one pass (kind byte, then the message) is byte for byte the kind
    /// byte in front of the message's own encoding, for every message type, and unwraps to it.
    func testConsensusEnvelopeIsTheKindByteInFrontOfTheMessage() throws {
        for (message, _) in consensusMessages() {
            let wrapped = Envelope.wrap(message)
            XCTAssertEqual(wrapped, Envelope.wrap(.consensus, message.encoded()), message.kindName)
            let (kind, body) = try XCTUnwrap(Envelope.unwrap(wrapped))
            XCTAssertEqual(kind, .consensus)
            XCTAssertEqual(Array(body), message.encoded(), message.kindName)
            let decoded = try LedgerMessage.decode(Array(body), replicaCount: 4, window: 64)
            XCTAssertEqual(decoded.encoded(), message.encoded(), message.kindName)
        }
    }

    func testOnlyBatchCarryingMessagesAndGossipAreDroppedAndOnlyDuringStateTransfer() {
        for (name, bytes, dropped) in consensusPayloads() {
            XCTAssertEqual(PeerWorker.dropsBeforeDecoding(.consensus, bytes, transferring: true), dropped, name)
            XCTAssertFalse(PeerWorker.dropsBeforeDecoding(.consensus, bytes, transferring: false), name)
        }
        let tx = [UInt8](repeating: 7, count: 40)
        for kind in [EnvelopeKind.transaction, .transactions] {
            XCTAssertTrue(PeerWorker.dropsBeforeDecoding(kind, tx, transferring: true), "\(kind)")
            XCTAssertFalse(PeerWorker.dropsBeforeDecoding(kind, tx, transferring: false), "\(kind)")
        }
        // A validator-set change is kept during a transfer: it is rare, and a dropped one would wait for a resubmission.
        for kind in [EnvelopeKind.blockRequest, .blockResponse, .validatorSetChange] {
            XCTAssertFalse(PeerWorker.dropsBeforeDecoding(kind, tx, transferring: true), "\(kind)")
            XCTAssertFalse(PeerWorker.dropsBeforeDecoding(kind, tx, transferring: false), "\(kind)")
        }
    }

    /// Gossip travels in its own lane, so no vote, view change or block transfer waits behind the
    /// signature checks of the transactions a peer gossiped before it.
    func testOnlyTransactionGossipGoesToTheGossipLane() {
        for (name, bytes, _) in consensusPayloads() {
            XCTAssertFalse(PeerWorker.isGossip(Envelope.wrap(.consensus, bytes)), name)
        }
        let tx = [UInt8](repeating: 7, count: 40)
        XCTAssertTrue(PeerWorker.isGossip(Envelope.wrap(.transaction, tx)))
        XCTAssertTrue(PeerWorker.isGossip(Envelope.wrap(.transactions, tx)))
        XCTAssertTrue(PeerWorker.isGossip(Envelope.wrap(.validatorSetChange, tx)), "a gossiped change costs signature checks too")
        XCTAssertFalse(PeerWorker.isGossip(Envelope.wrap(.blockRequest, tx)))
        XCTAssertFalse(PeerWorker.isGossip(Envelope.wrap(.blockResponse, tx)))
        XCTAssertFalse(PeerWorker.isGossip([]), "an empty payload goes to the consensus lane, whose worker logs it")
        XCTAssertFalse(PeerWorker.isGossip([200, 1, 2]), "so does an unknown kind")
    }
}
