import ArgumentParser
import Foundation
import LedgerCore
import LedgerCrypto
import LedgerJSON
import Wallet

/// `wallet tx HASH`: status, receipt, and local verification of inclusion and finality.
struct TxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tx",
        abstract: "Show a transaction's status and receipt; verify its inclusion and commit locally.",
        discussion: """
            For a committed transaction the wallet checks, on this machine: the Merkle proof from the transaction hash \
            to the block header's tx_root, and the block's commit certificate (a quorum of validator signatures over the \
            header's batch) against the validator set of the block's epoch. With --genesis FILE (your own copy of the \
            genesis) nothing of the node's is trusted: for a block after validator-set changes the wallet fetches each \
            change with its block's batch and certificate and checks, from genesis on, that a quorum of the set then in \
            force committed it and that the chain's rule accepts it, which gives every later set. Without --genesis the \
            set comes from the node's `validators` method at the block's height (trusting the node for the set itself).
            """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Transaction hash (64 hex characters).") var hash: String
    @Option(help: "Your copy of the genesis file (e.g. .testnet/node0/genesis.json): verify from it, trusting the node for nothing.") var genesis: String?

    /// What the node said, gathered before verifying (async code keeps to JSON and text; see WalletNode.swift).
    struct Evidence {
        var hash: String
        var height: UInt64
        var answer: JSONValue
        var block: JSONValue?
        var commit: Result<JSONValue, RPCClientError>
        var validators: JSONValue?
        var chainID: String?
        var validatorSource: String
        /// With --genesis, for a block after a validator-set change: what the node says about every change from
        /// genesis to the block's epoch (verified, not trusted).
        var epochSteps: [EpochStep] = []
    }

    func run() async throws {
        let hash = try InputParsing.hashHex(hash)
        if let genesis { try Self.checkGenesis(genesis) }
        let node = try global.makeNode()
        var outcome: TransactionOutcome
        if let o = try await node.transaction(hash) {
            outcome = o
        } else {
            // A node without `tx`: look through recent blocks.
            let height = try await node.status()["height"]?.uint64Value ?? 0
            let from = height > 1_000 ? height - 1_000 : 1
            guard let o = try await node.findInBlocks(hash, from: from, to: height) else {
                throw WalletError.notFound("transaction \(hash) not found in blocks \(from)…\(height) of \(node.url) (the node has no `tx` method)")
            }
            outcome = o
        }
        if !outcome.isFinal {
            let result = outcome.raw.setting("verification", .object([("verified", .bool(false)), ("reason", .string("not committed"))]))
            Output.emit(global.json, json: result, text: "hash:   \(hash)\nstatus: \(outcome.status)")
            if outcome.status == "unknown" { throw WalletError.notFound("node \(node.url) does not know transaction \(hash)") }
            return
        }
        guard let height = outcome.height else { throw WalletError.badAnswer("committed transaction without a height") }

        // Gather everything, then verify synchronously.
        let answer = outcome.raw
        var block: JSONValue?
        if answer["header"].map({ if case .object = $0 { false } else { true } }) ?? true
            || answer["proof"].map({ if case .object = $0 { false } else { true } }) ?? true
        {
            block = try await node.call("block", .object([("height", .decimal(height))]))
        }
        let commit = await node.client.callResult("commit", .object([("height", .decimal(height))]))
        var validators: JSONValue?
        var chainID: String?
        var source = "genesis file \(genesis ?? "")"
        if genesis == nil {
            // The set that ordered this block (its epoch's), not the head's: a change may have taken effect since.
            switch await node.client.callResult("validators", .object([("height", .decimal(height))])) {
            case let .success(v): validators = v
            case let .failure(error):
                if case let .server(e, _) = error, e.code == RPCServerError.methodNotFound {
                    validators = try await node.call("genesis")
                } else {
                    throw WalletError.rpc(error)
                }
            }
            chainID = try await node.chainID()
            source = "node \(node.url)"
        }
        var evidence = Evidence(
            hash: hash, height: height, answer: answer, block: block, commit: commit, validators: validators, chainID: chainID,
            validatorSource: source)
        if genesis != nil {
            evidence.epochSteps = try await Self.epochSteps(to: height, node: node)
            if !evidence.epochSteps.isEmpty {
                evidence.validatorSource = "genesis file \(genesis ?? "") and \(evidence.epochSteps.count) validator-set change(s) verified from it"
            }
        }
        let (verification, summary, failure) = Self.verify(evidence, genesisPath: genesis)

        let result = answer.setting("verification", verification)
        let receipt = outcome.status == "failed" ? "failed (\(outcome.reason ?? "unknown reason"))" : "success"
        Output.emit(global.json, json: result, text: """
            hash:    \(hash)
            status:  \(outcome.status)
            height:  \(height)\(outcome.index.map { "\nindex:   \($0)" } ?? "")
            receipt: \(receipt)
            \(summary)
            """)
        if let failure {
            if case .verificationFailed = failure { throw ExitCode(WalletExitCode.verification) }
            throw failure
        }
        if outcome.status == "failed" { throw ExitCode(WalletExitCode.rejected) }
    }

    /// What the node says about each change from genesis to the epoch of the block at `height`, oldest first: for
    /// the epoch of a height, `validators` names the block of the change that began it (with its batch) and
    /// `commit` gives that block's certificate; that block lies in the epoch before, and so on back to epoch 0.
    static func epochSteps(to height: UInt64, node: WalletNode) async throws -> [EpochStep] {
        var steps: [EpochStep] = []
        var at = height
        while steps.count <= InclusionVerifier.epochStepsMax {
            let v: JSONValue
            switch await node.client.callResult("validators", .object([("height", .decimal(at))])) {
            case let .success(answer): v = answer
            case let .failure(error):
                if case let .server(e, _) = error, e.code == RPCServerError.methodNotFound { return [] }  // one epoch only
                throw WalletError.rpc(error)
            }
            guard let epoch = v["epoch"]?.uint64Value ?? v["epoch"]?.stringValue.flatMap(UInt64.init), epoch > 0 else {
                return steps.reversed()
            }
            guard let first = v["first_height"]?.uint64Value, let started = v["started_by"],
                  let changeHeight = started["height"]?.uint64Value, let batchHex = started["batch"]?.stringValue,
                  let batch = Hex.decode(batchHex), changeHeight < at
            else {
                throw WalletError.verificationFailed("the node does not say which change began epoch \(epoch) (validators at \(at))")
            }
            let commit = try await node.call("commit", .object([("height", .decimal(changeHeight))]))
            guard let certHex = commit["certificate"]?.stringValue, let certificate = Hex.decode(certHex) else {
                throw WalletError.badAnswer("commit at \(changeHeight) has no certificate hex")
            }
            steps.append(EpochStep(epoch: epoch, firstHeight: Height(first), changeHeight: Height(changeHeight), batch: batch,
                                   certificate: certificate))
            at = changeHeight
        }
        throw WalletError.verificationFailed("more than \(InclusionVerifier.epochStepsMax) validator-set changes to verify")
    }

    static func checkGenesis(_ path: String) throws {
        do { _ = try Genesis.load(from: path) } catch { throw WalletError.usage("cannot load the genesis file \(path): \(error)") }
    }

    /// Checks inclusion (proof or full block) and finality (certificate); returns the `verification` JSON, a one-line
    /// summary and the failure, if any.
    static func verify(_ e: Evidence, genesisPath: String?) -> (JSONValue, String, WalletError?) {
        do {
            let v = try verifyOrThrow(e, genesisPath: genesisPath)
            let json: JSONValue = .object([
                ("verified", .bool(true)), ("merkle_proof", .bool(true)), ("commit_certificate", .bool(true)),
                ("signers", .array(v.signers.map { .int($0.index) })), ("validators", .int(v.validatorCount)),
                ("validator_set_from", .string(e.validatorSource)), ("block_hash", .string(v.header.hash.hex)),
            ])
            let summary = "verified: Merkle proof to tx_root of block \(e.height) (\(v.header.hash.hex.prefix(16))…) and commit certificate "
                + "signed by validators \(v.signers.map { String($0.index) }.joined(separator: ",")) of \(v.validatorCount) "
                + "(validator set from \(e.validatorSource))"
            return (json, summary, nil)
        } catch let error as WalletError {
            return (.object([("verified", .bool(false)), ("reason", .string(error.description))]), error.description, error)
        } catch {
            let w = WalletError.verificationFailed("\(error)")
            return (.object([("verified", .bool(false)), ("reason", .string(w.description))]), w.description, w)
        }
    }

    private static func verifyOrThrow(_ e: Evidence, genesisPath: String?) throws -> InclusionVerification {
        let txHash = try InputParsing.hash(e.hash)
        let headerJSON: JSONValue
        if let h = e.answer["header"], case .object = h {
            headerJSON = h
        } else if let h = e.block?["header"] {
            headerJSON = h
        } else {
            throw WalletError.badAnswer("no block header for height \(e.height)")
        }
        let header = try InclusionVerifier.header(from: headerJSON)
        guard header.height.rawValue == e.height else {
            throw WalletError.verificationFailed("header is for height \(header.height.rawValue), the tx claims \(e.height)")
        }
        if let bh = e.answer["block_hash"]?.stringValue, bh != header.hash.hex {
            throw WalletError.verificationFailed("block_hash \(bh) is not the hash of the header (\(header.hash.hex))")
        }
        // Inclusion: the node's proof, or the full block's transaction list.
        if let proof = e.answer["proof"], case .object = proof {
            let (index, leafCount, steps) = try InclusionVerifier.proofSteps(from: proof)
            try InclusionVerifier.verifyInclusion(txHash: txHash, header: header, index: index, leafCount: leafCount, steps: steps)
        } else {
            var hashes: [Digest] = []
            for t in e.block?["txs"]?.arrayValue ?? [] {
                guard let text = t["hash"]?.stringValue, let d = try? Digest(hex: text) else {
                    throw WalletError.badAnswer("block tx without a hash")
                }
                hashes.append(d)
            }
            guard let index = hashes.firstIndex(of: txHash) else {
                throw WalletError.verificationFailed("block \(e.height) does not list the transaction")
            }
            let steps = Merkle.proof(hashes, index: index) ?? []
            try InclusionVerifier.verifyInclusion(txHash: txHash, header: header, index: index, leafCount: hashes.count, steps: steps)
        }
        // Finality: the commit certificate against the validator set.
        let commit: JSONValue
        switch e.commit {
        case let .success(c): commit = c
        case let .failure(error):
            if case let .server(se, _) = error, se.code == RPCServerError.methodNotFound {
                throw WalletError.verificationFailed("inclusion verified, but the node offers no `commit` method, so finality cannot be checked")
            }
            throw WalletError.rpc(error)
        }
        if let ch = commit["header"], case .object = ch, try InclusionVerifier.header(from: ch).hash != header.hash {
            throw WalletError.verificationFailed("the commit's header differs from the transaction's block header")
        }
        guard let certHex = commit["certificate"]?.stringValue, let certBytes = Hex.decode(certHex) else {
            throw WalletError.badAnswer("commit answer has no certificate hex")
        }
        let keys: [PublicKey]
        let chainID: String
        var epoch: UInt64 = 0
        if let genesisPath {
            let g: Genesis
            do { g = try Genesis.load(from: genesisPath) } catch { throw WalletError.usage("cannot load \(genesisPath): \(error)") }
            // The block's epoch's set, verified change by change from genesis (`epochSteps`).
            let membership = try InclusionVerifier.verifySetChain(genesis: g, steps: e.epochSteps)
            guard header.height >= membership.firstHeight else {
                throw WalletError.verificationFailed("block \(e.height) lies before epoch \(membership.epoch), which the node says it belongs to")
            }
            keys = membership.validators.map(\.publicKey)
            chainID = g.chainID
            epoch = membership.epoch
        } else {
            guard let validators = e.validators, let id = e.chainID else { throw WalletError.badAnswer("no validator set") }
            keys = try InclusionVerifier.validatorKeys(from: validators)
            chainID = id
            // A node that names no epoch predates validator-set changes: epoch 0.
            if let text = validators["epoch"]?.stringValue {
                guard let e = UInt64(text) else { throw WalletError.badAnswer("validators epoch '\(text)' is not a number") }
                epoch = e
            }
        }
        return try InclusionVerifier.verifyCommit(certificate: certBytes, header: header, validators: keys, chainID: chainID, epoch: epoch)
    }
}
