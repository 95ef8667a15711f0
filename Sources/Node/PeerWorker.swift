import LedgerCore
import LedgerCrypto
import LedgerStore
import Logging
import P2P
import PBFT

/// Decodes and verifies one peer's messages off the driver actor, then delivers them. Each peer has
/// two workers, one for its consensus and block-transfer messages and one for its transaction
/// gossip, so peers and lanes are verified in parallel and each lane keeps the peer's order.
struct PeerWorker: Sendable {
    let driver: ConsensusDriver
    let store: LedgerStore
    let network: PeerNetwork
    let verifier: LedgerMessageVerifier
    let cache: VerifiedTransactionCache
    let admissions: AdmissionQueue
    let genesis: Genesis
    let logger: Logger

    /// Processes the lane's messages in order, calling `done` after each (it frees the peer's receive budget).
    func run(_ stream: AsyncStream<PeerMessage>, done: @Sendable (PeerMessage) -> Void) async {
        for await message in stream {
            await process(message)
            done(message)
        }
    }

    func process(_ message: PeerMessage) async {
        let from = ReplicaID(message.from.index)
        guard let (kind, body) = Envelope.unwrap(message.bytes) else {
            logger.notice("dropped payload of unknown kind", metadata: ["peer": "\(from)"])
            return
        }
        if Self.dropsBeforeDecoding(kind, body, transferring: driver.isTransferringState) {
            driver.droppedDuringTransfer.add(1, ordering: .relaxed)
            logger.trace("dropped a payload during state transfer", metadata: ["peer": "\(from)", "kind": "\(kind)"])
            return
        }
        switch kind {
        case .consensus:
            do {
                let message = try LedgerMessage.decode(Array(body), replicaCount: genesis.validatorCount, window: genesis.consensus.window)
                // Cheap checks first. A kind the replica answers to its signer counts only on the
                // signer's own link, so a replayed copy cannot aim the answer at someone else
                // (`mustArriveFromSigner`).
                guard message.mayArrive(from: from) else {
                    driver.refusedOffSignerLink.add(1, ordering: .relaxed)
                    logger.debug("refused a consensus message off its signer's link", metadata: [
                        "kind": "\(message.kindName)", "peer": "\(from)",
                        "signer": "\(message.signer.map(\.description) ?? "-")",
                    ])
                    return
                }
                // A batch the replica would drop on arrival is not worth its signatures.
                if let reason = driver.intake.withLock({ $0.refusal(message) }) {
                    driver.droppedBeforeVerification.add(1, ordering: .relaxed)
                    logger.trace("dropped before verification", metadata: ["peer": "\(from)", "kind": "\(message.kindName)", "reason": "\(reason)"])
                    return
                }
                let verified = try verifier.verify(message)
                logger.debug("received", metadata: ["kind": "\(verified.message.kindName)", "peer": "\(from)"])
                await driver.deliver(verified)
            } catch {
                logger.notice("refused consensus message", metadata: ["peer": "\(from)", "error": "\(error)"])
            }
        case .transaction:
            await admitGossip([Array(body)], from: from)
        case .transactions:
            do { await admitGossip(try TransactionGossip.split(body), from: from) } catch {
                logger.notice("refused malformed transaction gossip", metadata: ["peer": "\(from)", "error": "\(error)"])
            }
        case .blockRequest:
            guard let request = try? BlockRequest.decode(Array(body)) else {
                logger.notice("refused malformed block request", metadata: ["peer": "\(from)"])
                return
            }
            let response = ConsensusDriver.serve(request, store: store)
            logger.debug("serving blocks", metadata: [
                "peer": "\(from)", "from": "\(request.from.rawValue)", "count": "\(response.blocks.count)",
            ])
            _ = network.send(Envelope.wrap(.blockResponse, response.encoded()), to: message.from)
        case .blockResponse:
            do { await driver.receive(try BlockResponse.decode(Array(body)), from: from) } catch {
                logger.notice("refused malformed block response", metadata: ["peer": "\(from)", "error": "\(error)"])
            }
        }
    }

    /// Whether a payload is transaction gossip (it travels in the gossip lane, apart from votes).
    static func isGossip(_ payload: [UInt8]) -> Bool {
        guard let (kind, _) = Envelope.unwrap(payload) else { return false }
        return kind == .transaction || kind == .transactions
    }

    /// Whether a payload is dropped before it is decoded: only while this node fetches blocks by
    /// state transfer, and then
    /// - PRE-PREPAREs and COMMITTED-BATCHes: their batches would cost a signature check per
    ///   transaction for blocks the transfer (or, after it, retransmission) brings anyway; a dropped
    ///   message is a lost message, which PBFT tolerates (a profile of a restarted node catching up
    ///   under load had 37 % of its CPU in those checks);
    /// - transaction gossip: it is the sending node's copy for the others, the network holds these
    ///   transactions already, and a node whose accounts are blocks behind cannot judge their nonces
    ///   (44 % of the same profile).
    /// Everything else (votes, view changes, fetched batches, block requests and responses) is kept.
    static func dropsBeforeDecoding(_ kind: EnvelopeKind, _ body: some Collection<UInt8>, transferring: Bool) -> Bool {
        guard transferring else { return false }
        switch kind {
        case .consensus: return LedgerMessage.isCommittedBatch(encoded: body) || LedgerMessage.isPrePrepare(encoded: body)
        case .transaction, .transactions: return true
        case .blockRequest, .blockResponse: return false
        }
    }

    /// Decodes and verifies gossiped transactions (each signature once per node: known hashes skip the
    /// check), then queues the valid ones for admission in order, waiting for the admission only when
    /// the queue already holds a driver call's worth. A bad one is logged and skipped, not the frame.
    private func admitGossip(_ encoded: [[UInt8]], from: ReplicaID) async {
        var valid: [Transaction] = []
        valid.reserveCapacity(encoded.count)
        for bytes in encoded {
            let tx: Transaction
            do { tx = try Transaction.decode(bytes) } catch {
                logger.notice("refused gossiped transaction", metadata: ["peer": "\(from)", "error": "\(error)"])
                continue
            }
            guard tx.chainID == genesis.chainID, cache.contains(tx.hash) || tx.hasValidSignature else {
                logger.notice("refused gossiped transaction: bad chain or signature", metadata: ["peer": "\(from)"])
                continue
            }
            valid.append(tx)
        }
        // Queued without waiting, so the lane verifies the next frame while the driver admits this one.
        if admissions.enqueue(valid, fromClient: false) { return }
        let results = await admissions.admit(valid, fromClient: false)
        for case let rejection? in results {
            logger.debug("gossiped transaction not admitted", metadata: ["peer": "\(from)", "reason": "\(rejection)"])
        }
    }
}
