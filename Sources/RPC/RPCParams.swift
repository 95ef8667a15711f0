import LedgerCore
import LedgerCrypto
import LedgerJSON

/// A call's `params`: named (object) or positional (array, in the order each method documents).
/// Every accessor turns a bad value into `-32602 invalid params` naming the parameter.
struct RPCParams {
    private let value: JSONValue
    /// Parameter names in positional order.
    private let order: [String]

    init(_ params: JSONValue?, order: [String]) throws(RPCError) {
        switch params {
        case nil, .null?: value = .object([])
        case .object?, .array?: value = params!
        default: throw .invalidParams("params must be an object (by name) or an array (by position)")
        }
        self.order = order
        if case let .array(items) = value, items.count > order.count {
            throw .invalidParams("at most \(order.count) positional params (\(order.joined(separator: ", "))), got \(items.count)")
        }
    }

    /// The raw value of `name`, `nil` when absent or JSON null.
    func raw(_ name: String) -> JSONValue? {
        let v: JSONValue?
        switch value {
        case .object: v = value[name]
        case let .array(items):
            guard let position = order.firstIndex(of: name) else { return nil }
            v = position < items.count ? items[position] : nil
        default: v = nil
        }
        if v == .null { return nil }
        return v
    }

    func string(_ name: String) throws(RPCError) -> String? {
        guard let v = raw(name) else { return nil }
        guard case let .string(s) = v else { throw .invalidParams("\"\(name)\" must be a string") }
        return s
    }

    func requiredString(_ name: String, _ what: String) throws(RPCError) -> String {
        guard let s = try string(name) else { throw .invalidParams("missing \"\(name)\" (\(what))") }
        return s
    }

    /// A UInt64 given as a decimal string (or, leniently, a non-negative JSON integer: exact up to UInt64.max).
    func uint64(_ name: String) throws(RPCError) -> UInt64? {
        guard let v = raw(name) else { return nil }
        switch v {
        case let .string(s):
            guard !s.isEmpty, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = UInt64(s) else {
                throw .invalidParams("\"\(name)\" must be a decimal integer string between 0 and \(UInt64.max), got \"\(s.prefix(40))\"")
            }
            return n
        case let .int(n) where n >= 0: return UInt64(n)
        case let .uint(n): return n
        default: throw .invalidParams("\"\(name)\" must be a non-negative integer as a decimal string")
        }
    }

    func height(_ name: String) throws(RPCError) -> Height? {
        try uint64(name).map(Height.init)
    }

    /// A small count (JSON integer or decimal string) clamped to nothing: out of `1...max` is an error.
    func count(_ name: String, max: Int) throws(RPCError) -> Int? {
        guard let n = try uint64(name) else { return nil }
        guard n >= 1, n <= UInt64(max) else { throw .invalidParams("\"\(name)\" must be between 1 and \(max), got \(n)") }
        return Int(n)
    }

    func digest(_ name: String, _ what: String) throws(RPCError) -> Digest {
        let s = try requiredString(name, what)
        do { return try Digest(hex: s.lowercased()) } catch {
            throw .invalidParams("\"\(name)\" must be 64 hex characters (\(what)), got \"\(s.prefix(80))\"")
        }
    }

    func hexBytes(_ name: String, _ what: String) throws(RPCError) -> [UInt8] {
        let s = try requiredString(name, what)
        guard let bytes = Hex.decode(s) else { throw .invalidParams("\"\(name)\" must be hex (\(what))") }
        return bytes
    }

    func address(_ name: String) throws(RPCError) -> Address {
        let s = try requiredString(name, "an ldg1… address")
        do { return try AddressCache.shared.address(s) } catch { throw .invalidParams("\"\(name)\": \(error)") }
    }
}
