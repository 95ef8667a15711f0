import Foundation
import LedgerCore
import LedgerCrypto
import LedgerJSON
import PBFT
import Wallet

/// The verdict of one check.
enum Verdict: Sendable, CustomStringConvertible {
    case pass
    case fail(String)
    /// Could not be checked (e.g. the RPC method does not exist yet); says why.
    case skipped(String)

    var isFailure: Bool { if case .fail = self { true } else { false } }
    var cell: String {
        switch self {
        case .pass: "ok"
        case .fail: "FAIL"
        case .skipped: "n/a"
        }
    }
    var description: String {
        switch self {
        case .pass: "ok"
        case let .fail(s): "FAIL: \(s)"
        case let .skipped(s): "n/a: \(s)"
        }
    }
}

/// The checks run through the RPC of every honest node after a scenario.
struct Checks {
    let genesis: Genesis
    let honest: [Int]
    let clients: [RPCClient]

    /// Safety: identical block hash at every height every honest node has, a linked chain, and
    /// (when the node serves `commit`) a valid commit certificate for each block.
    func safety(_ snapshots: [ChainSnapshot]) async -> (Verdict, certificates: Verdict) {
        guard let reference = snapshots.max(by: { $0.height < $1.height }) else { return (.fail("no honest node answered"), .skipped("")) }
        for s in snapshots {
            for b in s.blocks {
                let i = Int(b.height) - 1
                guard i >= 0, i < reference.blocks.count else { continue }
                if reference.blocks[i].hash != b.hash {
                    return (.fail("height \(b.height): node\(s.node) has \(b.hash.prefix(12)), node\(reference.node) has \(reference.blocks[i].hash.prefix(12))"), .skipped("fork"))
                }
            }
        }
        for (i, b) in reference.blocks.enumerated() where i > 0 {
            if b.previousHash != reference.blocks[i - 1].hash {
                return (.fail("node\(reference.node) height \(b.height): prev_hash does not link to height \(b.height - 1)"), .skipped("fork"))
            }
        }
        return (.pass, await certificates(reference))
    }

    /// Verifies every block's commit certificate (a quorum of valid COMMIT signatures for its digest)
    /// through the `commit` RPC of each honest node, against the validator set of the block's epoch: genesis's
    /// for epoch 0, afterwards the set the reference node's `validators` RPC gives for that height, which every
    /// other honest node must give alike (decision 0038).
    func certificates(_ reference: ChainSnapshot) async -> Verdict {
        var sets: [UInt64: (epoch: UInt64, keys: [PublicKey])] = [:]
        for b in reference.blocks {
            switch await validatorSet(at: b.height, node: reference.node) {
            case let .success(set): sets[b.height] = set
            case let .failure(problem): return .fail(problem.description)
            }
        }
        var agreed: [UInt64: [PublicKey]] = [:]
        for set in sets.values { agreed[set.epoch] = set.keys }
        for node in honest where node != reference.node {
            for (epoch, keys) in agreed.sorted(by: { $0.key < $1.key }) {
                guard let height = sets.first(where: { $0.value.epoch == epoch })?.key,
                      case let .success(theirs) = await validatorSet(at: height, node: node) else { continue }  // behind or down
                if theirs.epoch != epoch || theirs.keys != keys {
                    return .fail("node\(node) gives another validator set for height \(height) (epoch \(theirs.epoch)) than node\(reference.node) (epoch \(epoch))")
                }
            }
        }
        var checked = 0
        for node in honest {
            for b in reference.blocks {
                let answer: JSONValue
                do { answer = try await clients[node].object("commit", ["height": "\(b.height)"]) } catch let e {
                    if e.isMethodMissing { return .skipped("no `commit` RPC yet") }
                    if e.isNotFound { continue }  // that node is behind
                    if case .unreachable = e { break }
                    return .fail("commit \(b.height) on node\(node): \(e)")
                }
                guard let hex = answer["certificate"]?.stringValue, let bytes = Hex.decode(hex) else {
                    return .fail("commit \(b.height) on node\(node): no certificate hex")
                }
                do {
                    let set = sets[b.height] ?? (0, genesis.validators.map(\.publicKey))
                    let scheme = Ed25519ValidatorKeys(publicKeys: set.keys)
                    let cert = try CommitCertificate.decode(bytes, replicaCount: set.keys.count)
                    try cert.verify(scheme: scheme, context: SigningContext(chainID: genesis.chainID, epoch: set.epoch))
                    guard cert.digest.hex == b.batchDigest, cert.sequence.rawValue == b.height else {
                        return .fail("height \(b.height): certificate is for seq \(cert.sequence.rawValue) digest \(cert.digest.hex.prefix(12)), block digest \(b.batchDigest.prefix(12))")
                    }
                    checked += 1
                } catch {
                    return .fail("height \(b.height) on node\(node): certificate does not verify: \(error)")
                }
            }
        }
        return checked > 0 ? .pass : .skipped("no certificate checked")
    }

    /// The epoch and validator keys node `node` gives for the block at `height` (`validators` RPC), or why not.
    private func validatorSet(at height: UInt64, node: Int) async -> Result<(epoch: UInt64, keys: [PublicKey]), MembershipFailure> {
        let answer: JSONValue
        do { answer = try await clients[node].object("validators", ["height": "\(height)"]) } catch {
            return .failure(MembershipFailure(description: "validators at \(height) on node\(node): \(error)"))
        }
        guard let epoch = answer["epoch"]?.uint64Value, let list = answer["validators"]?.arrayValue else {
            return .failure(MembershipFailure(description: "validators at \(height) on node\(node): no epoch or set"))
        }
        let keys = list.compactMap { $0["public_key"]?.stringValue.flatMap { try? PublicKey(hex: $0) } }
        guard keys.count == list.count else {
            return .failure(MembershipFailure(description: "validators at \(height) on node\(node): a key does not parse"))
        }
        return .success((epoch, keys))
    }

    /// Validity: every committed transaction decodes, has this chain's id, a valid signature and
    /// the hash the node reports; successful transfers of each sender use nonces 0, 1, 2, … once
    /// each; and the balances of every account seen sum to the genesis supply on every honest node.
    func validity(_ reference: ChainSnapshot, knownAddresses: [Address]) async -> Verdict {
        var nextNonce: [PublicKey: UInt64] = [:]
        var accounts = Set(knownAddresses)
        for a in genesis.accounts { accounts.insert(a.address) }
        for b in reference.blocks {
            if b.txCount != b.txs.count { return .fail("height \(b.height): header tx_count \(b.txCount) but \(b.txs.count) txs") }
            for t in b.txs {
                guard let raw = Hex.decode(t.raw), let tx = try? Transaction.decode(raw) else {
                    return .fail("height \(b.height): tx \(t.hash.prefix(12)) does not decode")
                }
                if tx.chainID != genesis.chainID { return .fail("height \(b.height): tx \(t.hash.prefix(12)) is for chain '\(tx.chainID)'") }
                if !tx.hasValidSignature { return .fail("height \(b.height): tx \(t.hash.prefix(12)) has a bad signature") }
                if tx.hash.hex != t.hash { return .fail("height \(b.height): tx hash \(t.hash.prefix(12)) does not match its bytes") }
                accounts.insert(Address(publicKey: tx.sender))
                accounts.insert(tx.recipient)
                guard b.receipts[t.hash] == "success" else { continue }
                let expected = nextNonce[tx.sender] ?? 0
                if tx.nonce != expected {
                    return .fail("height \(b.height): tx \(t.hash.prefix(12)) succeeded with nonce \(tx.nonce), expected \(expected) (replay or gap)")
                }
                nextNonce[tx.sender] = expected + 1
            }
        }
        var supply: UInt64 = 0
        for a in genesis.accounts { supply &+= a.balance }
        for node in honest {
            var total: UInt64 = 0
            for a in accounts.sorted() {
                guard let account = try? await clients[node].object("account", ["address": a.description]),
                      let balance = account["balance"]?.uint64Value else { return .fail("node\(node): cannot read account \(a)") }
                let (sum, overflow) = total.addingReportingOverflow(balance)
                if overflow { return .fail("node\(node): balances overflow UInt64") }
                total = sum
            }
            if total != supply {
                return .fail("node\(node): balances of \(accounts.count) accounts sum to \(total), genesis supply is \(supply)")
            }
        }
        return .pass
    }

    /// Durability: every transfer a client was told had committed is in every honest ledger.
    func durability(_ snapshots: [ChainSnapshot], confirmed: [LoadDriver.Confirmed]) -> Verdict {
        for s in snapshots {
            var hashes = Set<String>()
            for b in s.blocks { for t in b.txs where b.receipts[t.hash] == "success" { hashes.insert(t.hash) } }
            let missing = confirmed.filter { !hashes.contains($0.hash.hex) }
            if !missing.isEmpty {
                return .fail("node\(s.node) (height \(s.height)) lacks \(missing.count) of \(confirmed.count) confirmed transfers, e.g. \(missing[0].hash.hex.prefix(12)) (client \(missing[0].client) nonce \(missing[0].nonce))")
            }
        }
        return .pass
    }

    /// Evidence: each of `offenders` is reported by the `evidence` RPC of some honest node (or,
    /// before that RPC exists, in an honest node's log as "equivocation evidence").
    func evidence(offenders: [Int], logs: [Int: String]) async -> Verdict {
        guard !offenders.isEmpty else { return .skipped("no equivocator") }
        var reported = Set<Int>()
        var rpcMissing = false
        for node in honest {
            do {
                let answer = try await clients[node].object("evidence")
                for e in answer["evidence"]?.arrayValue ?? [] {
                    if let o = e["offender"]?.intValue { reported.insert(o) }
                }
            } catch let e {
                if e.isMethodMissing { rpcMissing = true }
            }
        }
        if rpcMissing {
            for node in honest {
                for line in (logs[node] ?? "").split(separator: "\n") where line.contains("equivocation evidence") {
                    for o in offenders where line.contains("offender=\(o)") || line.contains("offender=r\(o)") { reported.insert(o) }
                }
            }
        }
        let missing = offenders.filter { !reported.contains($0) }
        let source = rpcMissing ? "node logs (no `evidence` RPC yet)" : "`evidence` RPC"
        return missing.isEmpty ? .pass : .fail("node(s) \(missing) not reported as equivocating in \(source)")
    }
}
