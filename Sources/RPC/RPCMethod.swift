/// The method names the server answers, with their positional parameter order.
public enum RPCMethod {
    /// Methods over HTTP POST (and WebSocket), name → positional parameter order.
    public static let parameterOrder: [String: [String]] = [
        "health": [], "status": [], "net_info": [], "genesis": [], "validators": ["height"],
        "account": ["address"], "block": ["height"], "block_by_hash": ["hash"],
        "blockchain": ["min_height", "max_height"], "commit": ["height"], "tx": ["hash"],
        "broadcast_tx_async": ["tx"], "broadcast_tx_sync": ["tx"], "broadcast_tx_commit": ["tx", "timeout_ms"],
        "broadcast_change": ["change"], "unconfirmed_txs": ["limit"], "num_unconfirmed_txs": [], "evidence": [],
    ]
    /// Methods only available on the WebSocket endpoint.
    public static let webSocketOnly: [String: [String]] = [
        "subscribe": ["query", "from_height", "detail"], "unsubscribe": ["subscription"], "unsubscribe_all": [],
    ]
    /// The HTTP method names, sorted.
    public static let httpNames: [String] = parameterOrder.keys.sorted()
}
