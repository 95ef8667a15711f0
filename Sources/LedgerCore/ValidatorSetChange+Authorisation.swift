import LedgerCrypto

extension ValidatorSetChange {
    /// The validator set of epoch `epoch + 1`: `current` (the set of `currentEpoch` on
    /// `chainID`) with this change applied, if the change is allowed and approved.
    ///
    /// Order of the new set: the validators that stay keep their order (a rotated one keeps its
    /// place with its new key), added ones follow in the change's order; ids are renumbered
    /// 0..<n. Refused (cheap checks first, signatures last) when the change is for another chain
    /// or epoch; names a key twice or adds one already in the set; removes or re-keys a key not
    /// in the set; removes or re-keys more than `f` of the current set (so at least `n − f`
    /// validators, a quorum, carry over); leaves fewer than 4 or more than 100 validators; or is
    /// approved by fewer than the current set's quorum (every approval must verify and come
    /// from the current set). The approvals are over `signingBytes()`, which binds chain, epoch
    /// and every operation, so an approval cannot be moved to another change or replayed in a
    /// later epoch.
    public func nextSet(
        after current: [Validator], currentEpoch: UInt64, chainID currentChain: String, quorumOverride: Int? = nil
    ) throws(ValidatorSetChangeError) -> [Validator] {
        guard chainID == currentChain else { throw .wrongChain(change: chainID, current: currentChain) }
        guard epoch == currentEpoch else { throw .wrongEpoch(change: epoch, current: currentEpoch) }
        guard let rule = QuorumRule(current.count) else { throw .resultingSetSize(0, minimum: Limits.validatorsMin, maximum: Limits.validatorsMax) }
        let members = Set(current.map(\.publicKey))

        var named = Set<PublicKey>()
        func name(_ key: PublicKey) throws(ValidatorSetChangeError) {
            guard named.insert(key).inserted else { throw .repeatedKey(key) }
        }
        var removed = Set<PublicKey>()
        var rotated: [PublicKey: PublicKey] = [:]
        var added: [Validator] = []
        for operation in operations {
            switch operation {
            case let .add(key, p2p, rpc):
                try name(key)
                guard !members.contains(key) else { throw .repeatedKey(key) }
                added.append(Validator(id: ReplicaID(0), publicKey: key, p2pAddress: p2p, rpcAddress: rpc))
            case let .remove(key):
                try name(key)
                guard members.contains(key) else { throw .notAValidator(key) }
                removed.insert(key)
            case let .rotate(old, new):
                try name(old)
                try name(new)
                guard members.contains(old) else { throw .notAValidator(old) }
                guard !members.contains(new) else { throw .repeatedKey(new) }
                rotated[old] = new
            }
        }
        let replaced = removed.count + rotated.count
        guard replaced <= rule.f else { throw .tooManyReplaced(replaced, maximum: rule.f) }

        var next: [Validator] = []
        for validator in current where !removed.contains(validator.publicKey) {
            next.append(Validator(
                id: ReplicaID(next.count), publicKey: rotated[validator.publicKey] ?? validator.publicKey,
                p2pAddress: validator.p2pAddress, rpcAddress: validator.rpcAddress))
        }
        var addresses = Set(next.map(\.p2pAddress))
        for validator in added {
            guard addresses.insert(validator.p2pAddress).inserted else { throw .repeatedAddress(validator.p2pAddress) }
            next.append(Validator(
                id: ReplicaID(next.count), publicKey: validator.publicKey, p2pAddress: validator.p2pAddress,
                rpcAddress: validator.rpcAddress))
        }
        guard (Limits.validatorsMin...Limits.validatorsMax).contains(next.count) else {
            throw .resultingSetSize(next.count, minimum: Limits.validatorsMin, maximum: Limits.validatorsMax)
        }

        for approval in approvals where !members.contains(approval.signer) { throw .approvalFromOutsider(approval.signer) }
        let quorum = quorumOverride ?? rule.quorum
        guard approvals.count >= quorum else { throw .notEnoughApprovals(approvals.count, quorum: quorum) }
        let bytes = signingBytes()
        for approval in approvals where !approval.signer.isValidSignature(approval.signature, for: bytes) {
            throw .invalidApproval(approval.signer)
        }
        return next
    }
}
