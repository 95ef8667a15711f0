import LedgerCore
import LedgerCrypto
import LedgerJSON

/// The JSON shapes of results (docs/rpc.md): UInt64 as decimal strings, ids as numbers, bytes as lowercase hex.
public enum RPCEncoding {
    /// The `status` result.
    public static func encode(_ s: NodeStatus) -> JSONValue {
        .object([
            ("chain_id", .string(s.chainID)), ("node_id", s.nodeID.map { .int($0.index) } ?? .null), ("role", .string(s.role)), ("height", .decimal(s.height.rawValue)),
            ("latest_block_hash", .string(s.latestBlockHash.hex)), ("latest_block_time", .decimal(s.latestBlockTimeMs)),
            ("view", .decimal(s.view.rawValue)), ("primary", .int(s.primary.index)), ("catching_up", .bool(s.isCatchingUp)),
            ("peers", .int(s.peers.count)), ("connected_peers", ids(s.peers)),
            ("changing_view", .bool(s.isChangingView)), ("mempool_size", .int(s.mempoolSize)),
            ("open_sequences", .array(s.openSequences.map(encode))),
            ("votes_withheld_until", s.votesWithheldUntil.map { .decimal($0.rawValue) } ?? .null),
            ("follows_until_view", s.followsUntilView.map { .decimal($0.rawValue) } ?? .null),
            ("version", .string(s.version)),
        ])
    }

    static func encode(_ o: OpenSequenceStatus) -> JSONValue {
        var pairs: [(String, JSONValue)] = [("seq", .decimal(o.sequence.rawValue)), ("view", .decimal(o.view.rawValue))]
        if let d = o.digest { pairs.append(("digest", .string(d.hex))) }
        pairs += [
            ("prepares_from", ids(o.preparesFrom)), ("commits_from", ids(o.commitsFrom)),
            ("missing_prepares", ids(o.missingPrepares)), ("missing_commits", ids(o.missingCommits)),
        ]
        return .object(pairs)
    }

    static func ids(_ ids: [ReplicaID]) -> JSONValue { .array(ids.map { .int($0.index) }) }

    /// The `net_info` result.
    public static func encode(_ n: NetInfo) -> JSONValue {
        .object([
            ("listening", .bool(n.isListening)), ("p2p_listen", .string(n.p2pListen)),
            ("n_peers", .int(n.peers.filter(\.isOutboundConnected).count)),
            ("peers", .array(n.peers.map { p in
                .object([
                    ("id", .int(p.id)), ("address", .string(p.address)), ("connected", .bool(p.isOutboundConnected)),
                    ("outbound", .bool(p.isOutboundConnected)), ("inbound", .bool(p.isInboundConnected)),
                ])
            })),
        ])
    }

    /// A block header.
    public static func encode(_ h: BlockHeader) -> JSONValue {
        .object([
            ("height", .decimal(h.height.rawValue)), ("prev_hash", .string(h.previousHash.hex)),
            ("batch_digest", .string(h.batchDigest.hex)), ("view", .decimal(h.view.rawValue)),
            ("proposer", .int(h.proposer.index)), ("timestamp", .decimal(h.timestamp)), ("tx_root", .string(h.txRoot.hex)),
            ("state_hash", .string(h.stateHash.hex)), ("tx_count", .int(Int(h.txCount))),
        ])
    }

    /// A header with its hash (the `blockchain` entries).
    public static func encodeWithHash(_ h: BlockHeader) -> JSONValue {
        .object([("hash", .string(h.hash.hex)), ("header", encode(h))])
    }

    /// A transaction's fields.
    public static func encode(_ tx: Transaction, withRaw: Bool = true) -> JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("hash", .string(tx.hash.hex)), ("from", .string(Address(publicKey: tx.sender).string)),
            ("to", .string(tx.recipient.string)), ("amount", .decimal(tx.amount)), ("nonce", .decimal(tx.nonce)),
        ]
        if withRaw {
            pairs.append(("memo", .string(Hex.encode(tx.memo))))
            pairs.append(("raw", .string(Hex.encode(tx.encoded()))))
        }
        return .object(pairs)
    }

    /// A receipt: `{tx_hash, index, status, reason?}`.
    public static func encode(_ r: Receipt) -> JSONValue {
        var pairs: [(String, JSONValue)] = [("tx_hash", .string(r.txHash.hex)), ("index", .int(Int(r.index)))]
        pairs += receiptStatus(r)
        return .object(pairs)
    }

    static func receiptStatus(_ r: Receipt) -> [(String, JSONValue)] {
        switch r.status {
        case .success: [("status", .string("success"))]
        case let .failed(reason): [("status", .string("failed")), ("reason", .string(reason.description))]
        }
    }

    /// A block: `{hash, header, txs, receipts}`.
    public static func encode(_ block: Block) -> JSONValue {
        .object([
            ("hash", .string(block.hash.hex)), ("header", encode(block.header)),
            ("txs", .array(block.transactions.map { encode($0) })), ("receipts", .array(block.receipts.map(encode))),
        ])
    }

    /// A block for a `detail: "hashes"` subscription: the same shape as `encode(_: Block)`, but each
    /// transaction is only `{"hash"}` and `receipts` lists only the failed ones (a success is implied).
    /// A block of 1,000 transfers is ~70 KB instead of ~0.5 MB, and far cheaper to build.
    public static func encodeHashes(_ block: Block) -> JSONValue {
        .object([
            ("hash", .string(block.hash.hex)), ("header", encode(block.header)),
            ("txs", .array(block.transactions.map { .object([("hash", .string($0.hash.hex))]) })),
            ("receipts", .array(block.receipts.compactMap { r in
                if case .success = r.status { nil } else { encode(r) }
            })),
        ])
    }

    /// The `commit` result.
    public static func encode(_ c: CommitInfo) -> JSONValue {
        .object([
            ("height", .decimal(c.header.height.rawValue)), ("hash", .string(c.blockHash.hex)), ("header", encode(c.header)),
            ("certificate", .string(Hex.encode(c.certificate))),
            ("signatures", .array(c.signatures.map { .object([("validator", .int($0.validator.index)), ("signature", .string($0.signature.hex))]) })),
            ("view", .decimal(c.view.rawValue)),
        ])
    }

    /// The `tx` result (also the payload of a tx subscription notification).
    public static func encode(_ t: TransactionLookup) -> JSONValue {
        var pairs: [(String, JSONValue)] = [("hash", .string(t.hash.hex)), ("status", .string(t.status.rawValue))]
        if let i = t.inclusion {
            pairs += [
                ("height", .decimal(i.header.height.rawValue)), ("index", .int(i.index)),
                ("receipt", .object(receiptStatus(i.receipt))),
            ]
        }
        if let tx = t.transaction {
            pairs.append(("tx", encode(tx)))
        }
        if let i = t.inclusion {
            pairs += [
                ("proof", .object([
                    ("tx_root", .string(i.header.txRoot.hex)), ("index", .int(i.index)), ("leaf_count", .int(i.leafCount)),
                    ("path", .array(i.proof.map { .string($0.sibling.hex) })),
                    ("steps", .array(i.proof.map {
                        .object([("sibling", .string($0.sibling.hex)), ("sibling_is_left", .bool($0.siblingIsLeft))])
                    })),
                ])),
                ("header", encode(i.header)), ("block_hash", .string(i.blockHash.hex)),
            ]
        }
        return .object(pairs)
    }

    /// The `broadcast_tx_commit` result for a committed/failed transaction.
    public static func encodeCommitResult(_ t: TransactionLookup) -> JSONValue {
        var pairs: [(String, JSONValue)] = [("hash", .string(t.hash.hex))]
        if let i = t.inclusion {
            pairs += [
                ("height", .decimal(i.header.height.rawValue)), ("index", .int(i.index)), ("status", .string(t.status.rawValue)),
                ("receipt", .object(receiptStatus(i.receipt))), ("block_hash", .string(i.blockHash.hex)),
            ]
        } else {
            pairs.append(("status", .string(t.status.rawValue)))
        }
        return .object(pairs)
    }

    /// One evidence entry.
    public static func encode(_ e: EvidenceInfo) -> JSONValue {
        var pairs: [(String, JSONValue)] = [("offender", .int(e.offender.index)), ("kind", .string(e.kind))]
        pairs.append(("view", e.view.map { .decimal($0.rawValue) } ?? .null))
        pairs += [
            ("sequence", .decimal(e.sequence.rawValue)), ("first", .string(e.first.hex)), ("second", .string(e.second.hex)),
            ("first_signature", .string(e.firstSignature.hex)), ("second_signature", .string(e.secondSignature.hex)),
        ]
        return .object(pairs)
    }

    /// The `validators` result: the set, its size, `f` and quorum, the epoch and height it answers
    /// for, and (at the head) the pending change's boundary and next set.
    public static func encode(_ info: ValidatorSetInfo) -> JSONValue {
        let rule = QuorumRule(info.validators.count) ?? .single
        var pairs: [(String, JSONValue)] = [
            ("height", .decimal(info.height.rawValue)), ("epoch", .decimal(info.epoch)),
            ("validators", validatorList(info.validators)),
            ("count", .int(info.validators.count)), ("f", .int(rule.f)), ("quorum", .int(rule.quorum)),
        ]
        if let first = info.firstHeight { pairs.append(("first_height", .decimal(first.rawValue))) }
        if let started = info.startedBy {
            pairs.append(("started_by", .object([
                ("height", .decimal(started.height.rawValue)), ("batch", .string(Hex.encode(started.batch))),
            ])))
        }
        if let pending = info.pending {
            pairs.append(("pending_change", .object([
                ("change_id", .string(pending.changeID.hex)), ("committed_at", .decimal(pending.committedAt.rawValue)),
                ("last_height_of_epoch", .decimal(pending.lastSequence.rawValue)),
                ("next_validators", validatorList(pending.validators)),
            ])))
        }
        return .object(pairs)
    }

    private static func validatorList(_ validators: [Validator]) -> JSONValue {
        .array(validators.map { v in
            var pairs: [(String, JSONValue)] = [
                ("id", .int(v.id.index)), ("public_key", .string(v.publicKey.hex)),
                ("address", .string(Address(publicKey: v.publicKey).string)), ("p2p_address", .string(v.p2pAddress)),
            ]
            if let rpc = v.rpcAddress { pairs.append(("rpc_address", .string(rpc))) }
            return .object(pairs)
        })
    }

    /// The `genesis` result: genesis.json's object plus `genesis_hash`.
    public static func genesis(_ g: Genesis) -> JSONValue {
        var pairs: [(String, JSONValue)] = []
        let limits = JSONLimits(maxBytes: Limits.genesisFileMaxBytes, maxDepth: 64, maxEntries: Limits.genesisAccountsMax)
        if case let .object(fields)? = try? JSONValue.parse(g.jsonBytes(), limits: limits) { pairs = fields }
        pairs.append(("genesis_hash", .string(g.genesisHash.hex)))
        return .object(pairs)
    }
}
