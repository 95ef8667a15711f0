import LedgerCrypto

/// The pure, deterministic state-transition function: batch + state → block.
///
/// Every replica runs it on the batch committed at each sequence number and must get the
/// same block. It never traps and never throws: a transaction that cannot apply gets a
/// failed receipt and changes nothing.
///
/// Per transaction, in order, the first failing rule decides the receipt:
/// 1. recipient == sender → `.selfTransfer`;
/// 2. amount == 0 → `.zeroAmount` (a batch holding one is invalid, see `Batch.validate`; this
///    rule only keeps execution from ever moving a nonce for nothing);
/// 3. the sender has no account (not in the state before the batch, and not credited earlier
///    in it) → `.unknownSender`;
/// 4. `nonce` ≠ the sender's next nonce → `.badNonce`
///    (also when the sender's nonce is `UInt64.max`, i.e. its nonce space is used up);
/// 5. amount > sender balance → `.insufficientBalance`;
/// 6. recipient balance + amount > `UInt64.max` → `.overflow`.
/// Otherwise the sender is debited and its nonce incremented, and the recipient credited
/// (created with nonce 0 if new). A failed transaction does **not** consume the nonce and
/// creates no account, so the sender can replace it with a corrected one at the same nonce
/// (and a failed transaction costs the sender nothing: there are no fees).
///
/// Signatures and chain ids are not checked here: `Batch.validate` checked them before the
/// batch was prepared, and a quorum of replicas agreed on it.
public enum StateTransition {
    /// Executes `batch` on top of the block `previous`; the result is block `previous.height + 1`.
    ///
    /// A null batch gives an empty block with the previous block's timestamp. `proposer` goes
    /// into the header, so it must be a function of the batch alone, the same at every replica
    /// whatever path committed it: pass `batch.view.primary(replicaCount: n)` (validator 0 for
    /// the null batch), never the view of the commit certificate. Heights wrap at `UInt64.max`,
    /// which 2^64 blocks never reach.
    ///
    /// After the transactions, the batch's validator-set change (if any) is executed against
    /// `membership` (`Membership.accepting`): accepted, it becomes pending with its boundary;
    /// refused, its receipt names the rule. Then, if this block is the pending change's boundary,
    /// the next epoch begins. `BlockExecution.membership` is the result.
    public static func execute(
        batch: Batch, previous: BlockHeader, proposer: ReplicaID, accounts: some AccountLookup,
        membership: Membership, rules: ChangeRules
    ) -> BlockExecution {
        var touched: [PublicKey: Account] = [:]
        var receipts: [Receipt] = []
        receipts.reserveCapacity(batch.transactions.count)

        func existing(_ key: PublicKey) -> Account? { touched[key] ?? accounts.account(key) }
        func current(_ key: PublicKey) -> Account { existing(key) ?? Account(publicKey: key, balance: 0, nonce: 0) }

        for (i, tx) in batch.transactions.enumerated() {
            let index = UInt32(truncatingIfNeeded: i)
            let recipientKey = tx.recipient.publicKey
            let known = existing(tx.sender)
            var sender = known ?? Account(publicKey: tx.sender, balance: 0, nonce: 0)
            let failure: FailureReason?
            if recipientKey == tx.sender {
                failure = .selfTransfer
            } else if tx.amount == 0 {
                failure = .zeroAmount
            } else if known == nil {
                failure = .unknownSender
            } else if tx.nonce != sender.nonce || sender.nonce == UInt64.max {
                failure = .badNonce(expected: sender.nonce, got: tx.nonce)
            } else if tx.amount > sender.balance {
                failure = .insufficientBalance(balance: sender.balance, amount: tx.amount)
            } else {
                var recipient = current(recipientKey)
                let (credited, overflow) = recipient.balance.addingReportingOverflow(tx.amount)
                if overflow {
                    failure = .overflow(recipientBalance: recipient.balance, amount: tx.amount)
                } else {
                    failure = nil
                    sender.balance -= tx.amount  // amount <= balance checked above
                    sender.nonce += 1  // nonce < UInt64.max checked above
                    recipient.balance = credited
                    touched[tx.sender] = sender
                    touched[recipientKey] = recipient
                }
            }
            receipts.append(
                Receipt(txHash: tx.hash, index: index, status: failure.map { .failed($0) } ?? .success))
        }

        let height = Height(previous.height.rawValue &+ 1)
        var nextMembership = membership
        var changeReceipts: [Receipt] = []
        for (i, change) in batch.changes.enumerated() {
            let index = UInt32(truncatingIfNeeded: batch.transactions.count + i)
            switch nextMembership.accepting(
                change, inBlock: height, chainID: rules.chainID, parameters: rules.parameters,
                quorumOverride: rules.approvalQuorumOverride) {
            case let .success(accepted):
                nextMembership = accepted
                changeReceipts.append(Receipt(txHash: change.hash, index: index, status: .success))
            case let .failure(refusal):
                changeReceipts.append(Receipt(txHash: change.hash, index: index, status: .failed(refusal.failureReason)))
            }
        }
        nextMembership = nextMembership.advanced(pastBlock: height)

        let changed = touched.values.sorted { $0.publicKey < $1.publicKey }
        let header = BlockHeader(
            height: height,
            previousHash: previous.hash,
            batchDigest: batch.digest,
            view: batch.view,
            proposer: proposer,
            timestamp: batch.isNull ? previous.timestamp : batch.timestamp,
            txRoot: Merkle.root(batch.transactions.map(\.hash)),
            stateHash: StateHash.next(previous: previous.stateHash, changedAccounts: changed),
            txCount: UInt32(truncatingIfNeeded: batch.transactions.count))
        return BlockExecution(
            block: Block(
                header: header, transactions: batch.transactions, receipts: receipts, changes: batch.changes,
                changeReceipts: changeReceipts),
            changedAccounts: changed, membership: nextMembership)
    }
}
