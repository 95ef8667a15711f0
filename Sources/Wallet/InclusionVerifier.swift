import LedgerCore
import LedgerCrypto
import LedgerJSON
import PBFT

/// What `wallet tx` checked and found: the transaction is in the block (Merkle proof to the header's
/// tx root) and the block is final (a commit certificate of a quorum of validator signatures over its batch).
public struct InclusionVerification: Equatable, Sendable {
    /// The verified block header.
    public var header: BlockHeader
    /// Validators whose commit signatures verified.
    public var signers: [ReplicaID]
    /// Size of the validator set used.
    public var validatorCount: Int
}

/// Local verification of a node's claims about a committed transaction. Pure functions: the inputs are
/// whatever the node sent (untrusted) plus a validator set the user trusts.
public enum InclusionVerifier {
    /// Rebuilds a header from the node's JSON (`height, prev_hash, batch_digest, view, proposer, timestamp,
    /// tx_root, state_hash, tx_count`); its hash is computed locally.
    public static func header(from json: JSONValue) throws(WalletError) -> BlockHeader {
        func digest(_ key: String) throws(WalletError) -> Digest {
            guard let text = json[key]?.stringValue, let d = try? Digest(hex: text) else {
                throw .badAnswer("header.\(key) missing or not a 32-byte hex digest")
            }
            return d
        }
        func number(_ key: String) throws(WalletError) -> UInt64 {
            guard let v = json[key]?.uint64Value else { throw .badAnswer("header.\(key) missing or not an unsigned integer") }
            return v
        }
        let proposer = try number("proposer")
        let txCount = try number("tx_count")
        guard proposer <= UInt64(Int32.max), txCount <= UInt64(UInt32.max) else { throw .badAnswer("header field out of range") }
        return BlockHeader(
            height: Height(try number("height")), previousHash: try digest("prev_hash"), batchDigest: try digest("batch_digest"),
            view: View(try number("view")), proposer: ReplicaID(Int(proposer)), timestamp: try number("timestamp"),
            txRoot: try digest("tx_root"), stateHash: try digest("state_hash"), txCount: UInt32(txCount))
    }

    /// The proof steps for leaf `index` of `leafCount` from bare sibling digests, with the sides implied by
    /// the position (the layout of `LedgerCrypto.Merkle.proof`: an odd last node is promoted, no sibling).
    public static func steps(index: Int, leafCount: Int, siblings: [Digest]) throws(WalletError) -> [Merkle.ProofStep] {
        guard leafCount > 0, index >= 0, index < leafCount else {
            throw .verificationFailed("proof index \(index) is outside a block of \(leafCount) transactions")
        }
        var out: [Merkle.ProofStep] = []
        var position = index
        var count = leafCount
        var next = 0
        while count > 1 {
            let sibling = position ^ 1
            if sibling < count {
                guard next < siblings.count else { throw .verificationFailed("Merkle proof is too short for \(leafCount) leaves") }
                out.append(Merkle.ProofStep(sibling: siblings[next], siblingIsLeft: sibling < position))
                next += 1
            }
            position /= 2
            count = (count + 1) / 2
        }
        guard next == siblings.count else { throw .verificationFailed("Merkle proof is too long for \(leafCount) leaves") }
        return out
    }

    /// Parses a node's `proof` object (`{tx_root, index, leaf_count, path}`; path entries are hex siblings, or
    /// objects `{sibling|hash, sibling_is_left|left}`) into steps.
    public static func proofSteps(from proof: JSONValue) throws(WalletError) -> (index: Int, leafCount: Int, steps: [Merkle.ProofStep]) {
        guard let index = proof["index"]?.intValue, let leafCount = proof["leaf_count"]?.intValue, index >= 0, leafCount >= 0,
            let path = proof["path"]?.arrayValue
        else { throw .badAnswer("proof needs index, leaf_count and path") }
        guard path.count <= 64 else { throw .verificationFailed("Merkle proof has \(path.count) steps") }
        var siblings: [Digest] = []
        var explicit: [Merkle.ProofStep] = []
        for entry in path {
            if let hex = entry.stringValue, let d = try? Digest(hex: hex) {
                siblings.append(d)
            } else if let hex = (entry["sibling"] ?? entry["hash"])?.stringValue, let d = try? Digest(hex: hex),
                let left = (entry["sibling_is_left"] ?? entry["left"] ?? entry["is_left"])?.boolValue
            {
                explicit.append(Merkle.ProofStep(sibling: d, siblingIsLeft: left))
            } else {
                throw .badAnswer("proof path entry \(entry.serialized()) is not a digest")
            }
        }
        if !explicit.isEmpty {
            guard siblings.isEmpty else { throw .badAnswer("proof path mixes forms") }
            // The sides are implied by the position anyway; insist they agree.
            let implied = try steps(index: index, leafCount: leafCount, siblings: explicit.map(\.sibling))
            guard implied == explicit else { throw .verificationFailed("proof sides do not match index \(index) of \(leafCount)") }
            return (index, leafCount, explicit)
        }
        return (index, leafCount, try steps(index: index, leafCount: leafCount, siblings: siblings))
    }

    /// Checks that `txHash` is leaf `index` under `header.txRoot`.
    public static func verifyInclusion(
        txHash: Digest, header: BlockHeader, index: Int, leafCount: Int, steps: [Merkle.ProofStep]
    ) throws(WalletError) {
        guard leafCount == Int(header.txCount) else {
            throw .verificationFailed("proof is for \(leafCount) transactions but the header has \(header.txCount)")
        }
        guard Merkle.verify(leaf: txHash, proof: steps, root: header.txRoot) else {
            throw .verificationFailed("Merkle proof of \(txHash.hex) does not lead to the header's tx_root \(header.txRoot.hex)")
        }
    }

    /// Checks the certificate: it is for this block's batch at this height and carries a quorum of valid commit
    /// signatures of `validators` (index = validator id, the set of the block's `epoch`) over `chainID` and `epoch`
    /// (decision 0038: a vote counts only in its own epoch).
    public static func verifyCommit(
        certificate bytes: [UInt8], header: BlockHeader, validators: [PublicKey], chainID: String, epoch: UInt64 = 0
    ) throws(WalletError) -> InclusionVerification {
        guard validators.count >= 1 else { throw .verificationFailed("empty validator set") }
        let certificate: CommitCertificate
        do { certificate = try CommitCertificate.decode(bytes, replicaCount: validators.count) } catch {
            throw .verificationFailed("commit certificate does not decode: \(error)")
        }
        guard certificate.sequence == header.height else {
            throw .verificationFailed("certificate is for height \(certificate.sequence.rawValue), the block is \(header.height.rawValue)")
        }
        guard certificate.digest == header.batchDigest else {
            throw .verificationFailed("certificate commits batch \(certificate.digest.hex), the header's batch is \(header.batchDigest.hex)")
        }
        do {
            try certificate.verify(scheme: Ed25519ValidatorKeys(publicKeys: validators), context: SigningContext(chainID: chainID, epoch: epoch))
        } catch {
            throw .verificationFailed("commit certificate: \(error)")
        }
        let signers = Array(Set(certificate.commits.map(\.signer))).sorted()
        return InclusionVerification(header: header, signers: signers, validatorCount: validators.count)
    }

    /// The public keys in a `validators` result or genesis document (`validators: [{id, public_key}]`), by id 0…n-1.
    public static func validatorKeys(from json: JSONValue) throws(WalletError) -> [PublicKey] {
        guard let list = json["validators"]?.arrayValue, !list.isEmpty, list.count <= Limits.validatorsMax else {
            throw .badAnswer("no validator list")
        }
        var keys: [PublicKey?] = Array(repeating: nil, count: list.count)
        for v in list {
            guard let id = v["id"]?.intValue, id >= 0, id < list.count, keys[id] == nil,
                let hex = v["public_key"]?.stringValue, let key = try? PublicKey(hex: hex)
            else { throw .badAnswer("validator entry \(v.serialized()) is invalid") }
            keys[id] = key
        }
        return keys.compactMap { $0 }
    }

    /// How many epochs `wallet tx --genesis` walks back at most (each costs two calls to the node).
    public static let epochStepsMax = 1_000

    /// Verifies the chain of validator sets from genesis through `steps` — what a node says about the change that
    /// began each epoch 1, 2, … in order — and returns the membership of the last (decision 0038). Nothing of the
    /// node's is trusted: each step's certificate must be a quorum of the previous epoch's set over the batch whose
    /// bytes the node sent (their hash is the digest it signs); that batch must hold one change, which the chain's
    /// own rule (`Membership.accepting`) accepts against the previous set, and the epoch it starts must begin where
    /// the rule says. A node that leaves out or invents a change can only make this fail.
    public static func verifySetChain(genesis: Genesis, steps: [EpochStep]) throws(WalletError) -> Membership {
        var membership = Membership(genesis: genesis)
        for step in steps {
            let previous = membership.epoch
            guard step.epoch == previous &+ 1 else {
                throw .verificationFailed("the node's epochs skip from \(previous) to \(step.epoch)")
            }
            guard step.changeHeight >= membership.firstHeight else {
                throw .verificationFailed("epoch \(step.epoch) is said to start from a change in block \(step.changeHeight.rawValue), before epoch \(previous) began")
            }
            let certificate: CommitCertificate
            do {
                certificate = try CommitCertificate.decode(step.certificate, replicaCount: membership.validators.count)
                try certificate.verify(scheme: Ed25519ValidatorKeys(publicKeys: membership.validators.map(\.publicKey)),
                                       context: SigningContext(chainID: genesis.chainID, epoch: previous))
            } catch {
                throw .verificationFailed("the certificate of block \(step.changeHeight.rawValue) (the change that began epoch \(step.epoch)) does not verify against epoch \(previous)'s set: \(error)")
            }
            guard certificate.sequence == step.changeHeight else {
                throw .verificationFailed("the certificate is for block \(certificate.sequence.rawValue), not \(step.changeHeight.rawValue)")
            }
            guard Hash.blake2b256(step.batch) == certificate.digest else {
                throw .verificationFailed("the batch of block \(step.changeHeight.rawValue) does not hash to the digest its certificate signs")
            }
            let batch: Batch
            do { batch = try Batch.decode(step.batch) } catch {
                throw .verificationFailed("the batch of block \(step.changeHeight.rawValue) does not decode: \(error)")
            }
            guard let change = batch.changes.first else {
                throw .verificationFailed("block \(step.changeHeight.rawValue) holds no validator-set change")
            }
            let accepted: Membership
            switch membership.accepting(change, inBlock: step.changeHeight, chainID: genesis.chainID, parameters: genesis.consensus) {
            case let .success(m): accepted = m
            case let .failure(error):
                throw .verificationFailed("the chain's rule refuses the change in block \(step.changeHeight.rawValue): \(error)")
            }
            guard let pending = accepted.pending, pending.lastSequence.rawValue &+ 1 == step.firstHeight.rawValue else {
                throw .verificationFailed("epoch \(step.epoch) is said to begin at block \(step.firstHeight.rawValue); the change makes it begin at \((accepted.pending?.lastSequence.rawValue ?? 0) &+ 1)")
            }
            membership = accepted.advanced(pastBlock: pending.lastSequence)
        }
        return membership
    }
}

/// What a node says about the change that began one epoch (`validators` RPC: `first_height`, `started_by`; `commit`
/// at the change's block), for `InclusionVerifier.verifySetChain`.
public struct EpochStep: Sendable {
    /// The epoch the change began.
    public var epoch: UInt64
    /// Its first block.
    public var firstHeight: Height
    /// The block that committed the change (in the previous epoch).
    public var changeHeight: Height
    /// That block's batch as stored (standard encoding).
    public var batch: [UInt8]
    /// That block's commit certificate.
    public var certificate: [UInt8]

    public init(epoch: UInt64, firstHeight: Height, changeHeight: Height, batch: [UInt8], certificate: [UInt8]) {
        self.epoch = epoch
        self.firstHeight = firstHeight
        self.changeHeight = changeHeight
        self.batch = batch
        self.certificate = certificate
    }
}
