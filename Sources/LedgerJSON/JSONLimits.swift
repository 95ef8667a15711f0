/// The bounds a JSON document must keep to be parsed; every parse has them (the input is untrusted).
/// The defaults are the node's bounds for a JSON-RPC request.
public struct JSONLimits: Sendable, Equatable {
    /// Longest document, bytes (the RPC's largest request body: 1 MiB).
    public var maxBytes: Int
    /// Deepest nesting of arrays and objects (the RPC's: 16); never more than `depthCeiling`, whatever is set.
    public var maxDepth: Int
    /// Most elements of one array or keys of one object.
    public var maxEntries: Int

    /// The deepest nesting any parse allows: the parser recurses once per level, and a task's stack is small.
    public static let depthCeiling = 256

    /// Bounds of `maxBytes` bytes, `maxDepth` levels and `maxEntries` entries per array or object.
    public init(maxBytes: Int = 1024 * 1024, maxDepth: Int = 16, maxEntries: Int = 65_536) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxEntries = maxEntries
    }
}
