import LedgerCore
import LedgerCrypto
import LedgerStore
import Logging
import P2P
import PBFT

/// Decodes and verifies one peer's messages off the driver actor (one worker per peer, so peers
/// are verified in parallel and each peer's order is kept), then delivers them.
struct PeerWorker: Sendable {
    let driver: ConsensusDriver
    let store: LedgerStore
    let network: PeerNetwork
    let verifier: LedgerMessageVerifier
    let cache: VerifiedTransactionCache
    let genesis: Genesis
    let logger: Logger

    func run(_ stream: AsyncStream<PeerMessage>) async {
        for await message in stream {
            await process(message)
        }
    }

    func process(_ message: PeerMessage) async {
        let from = ReplicaID(message.from.index)
        guard let (kind, body) = Envelope.unwrap(message.bytes) else {
            logger.notice("dropped payload of unknown kind", metadata: ["peer": "\(from)"])
            return
        }
        switch kind {
        case .consensus:
            if driver.isTransferringState && LedgerMessage.isCommittedBatch(encoded: body) {
                logger.trace("dropped committed batch during state transfer", metadata: ["peer": "\(from)"])
                return
            }
            do {
                let verified = try verifier.decodeAndVerify(Array(body), window: genesis.consensus.window)
                logger.debug("received", metadata: ["kind": "\(verified.message.kindName)", "peer": "\(from)"])
                await driver.deliver(verified)
            } catch {
                logger.notice("refused consensus message", metadata: ["peer": "\(from)", "error": "\(error)"])
            }
        case .transaction:
            let tx: Transaction
            do { tx = try Transaction.decode(Array(body)) } catch {
                logger.notice("refused gossiped transaction", metadata: ["peer": "\(from)", "error": "\(error)"])
                return
            }
            guard tx.chainID == genesis.chainID, cache.contains(tx.hash) || tx.hasValidSignature else {
                logger.notice("refused gossiped transaction: bad chain or signature", metadata: ["peer": "\(from)"])
                return
            }
            do { try await driver.submit(tx, fromClient: false) } catch {
                logger.debug("gossiped transaction not admitted", metadata: ["peer": "\(from)", "reason": "\(error)"])
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
}
