import LedgerCore
import LedgerCrypto

/// Event dispatch.
extension Replica {
    mutating func process(_ event: Event<B>, _ ctx: inout Context<B>) {
        if case let .start(recovered) = event {
            start(recovered, &ctx)
            return
        }
        guard state.started else { return }
        switch event {
        case .start: break
        case let .message(verified): receive(verified.message, &ctx)
        case let .timerFired(kind): timerFired(kind, &ctx)
        case let .requests(requests): addRequests(requests, &ctx)
        case let .executed(n, hash): executed(n, blockHash: hash, &ctx)
        case let .epochEnds(lastSequence): epochEnds(at: lastSequence, &ctx)
        case let .stateTransferred(n, hash, ts): stateTransferred(n, blockHash: hash, timestampMs: ts, &ctx)
        case let .requestsCommitted(digests):
            forgetRequests(digests)
            restartViewChangeTimer(&ctx)
        case let .transferredCertificates(certificates):
            for c in certificates { crossCheck(c.message, &ctx) }
        }
    }

}
