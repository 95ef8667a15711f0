/// Every bound of the RPC server, in one place.
public enum RPCLimits {
    /// The largest HTTP request body accepted, bytes (a JSON-RPC call carrying one transaction needs ~1.2 KiB).
    public static let maxRequestBodyBytes = 64 * 1024
    /// The most calls in one JSON-RPC batch request.
    public static let maxBatchCalls = 32
    /// The deepest nesting of JSON accepted in a request.
    public static let maxJSONDepth = 16
}
