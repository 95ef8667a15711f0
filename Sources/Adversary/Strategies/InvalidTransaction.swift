import LedgerCore
import LedgerCrypto
import PBFT

/// `invalid-tx`: as primary, adds an invalid transaction to every batch it proposes and
/// re-signs the PRE-PREPARE for the new digest. It alternates a transfer whose amount was
/// changed after signing (bad signature) and a validly signed transfer for another chain.
/// Backups must refuse to prepare such a batch; nothing invalid may ever commit.
public struct InvalidTransaction: ByzantineBehaviour {
    public var strategy: ByzantineStrategy { .invalidTx }
    private var round: UInt64 = 0
    private let attackerKey: SigningKey

    /// A primary that proposes invalid transactions, signing wrong-chain ones with a key from `seed`.
    public init(seed: UInt64) {
        var bytes: [UInt8] = []
        var x = AdversaryRandom(seed: seed)
        for _ in 0..<4 {
            let w = x.next()
            for s in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: w >> UInt64(s))) }
        }
        // 32 bytes always make a seed.
        attackerKey = try! SigningKey(seed: bytes)
    }

    public mutating func transform(_ message: LedgerMessage, to recipients: [ReplicaID], context: AdversaryContext) -> [Emission] {
        guard case let .prePrepare(signed, batch) = message, !batch.isNull,
              let bad = makeInvalid(basedOn: batch, context: context)
        else { return [Emission(message, to: recipients)] }
        let poisoned = Batch(view: batch.view, timestamp: batch.timestamp, transactions: batch.transactions + [bad])
        let body = signed.body
        let forged = context.sign(PrePrepare(view: body.view, sequence: body.sequence, digest: poisoned.digest))
        return [Emission(.prePrepare(forged, batch: poisoned), to: recipients)]
    }

    private mutating func makeInvalid(basedOn batch: Batch, context: AdversaryContext) -> Transaction? {
        round &+= 1
        let me = Address(publicKey: attackerKey.publicKey)
        if round % 2 == 0, let model = batch.transactions.first {
            // The sender's signature over the original amount no longer matches.
            return try? Transaction(
                chainID: model.chainID, sender: model.sender, recipient: me, amount: model.amount &+ 1_000,
                nonce: model.nonce, memo: model.memo, signature: model.signature)
        }
        let otherChain = context.chainID == "evil-chain" ? "evil-chain-2" : "evil-chain"
        return try? Transaction.signed(chainID: otherChain, sender: attackerKey, recipient: me, amount: 1, nonce: round)
    }
}
