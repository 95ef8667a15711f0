import LedgerCore
import LedgerCrypto
import LedgerJSON

/// Strict parsing of what users type: amounts, heights, hashes, seeds, addresses or key names.
public enum InputParsing {
    /// A UInt64 written as plain decimal digits (no sign, spaces, separators, exponent or leading zeros).
    public static func uint64(_ text: String, what: String) throws(WalletError) -> UInt64 {
        if text.isEmpty { throw .invalidNumber(what: what, text: text, reason: "empty") }
        if text.utf8.contains(where: { $0 < UInt8(ascii: "0") || $0 > UInt8(ascii: "9") }) {
            throw .invalidNumber(what: what, text: text, reason: "use digits 0-9 only (no sign, decimal point, spaces or separators)")
        }
        if text.utf8.count > 1, text.utf8.first == UInt8(ascii: "0") {
            throw .invalidNumber(what: what, text: text, reason: "no leading zeros")
        }
        guard let v = DecimalParser.uint64(text) else {
            throw .invalidNumber(what: what, text: text, reason: "larger than \(UInt64.max)")
        }
        return v
    }

    /// A transfer amount: a strict UInt64 of at least 1.
    public static func amount(_ text: String) throws(WalletError) -> UInt64 {
        let v = try uint64(text, what: "amount")
        guard v > 0 else { throw .invalidNumber(what: "amount", text: text, reason: "must be at least 1") }
        return v
    }

    /// A wait in seconds: a positive number, at most `WalletLimits.commitWaitMaxSeconds`.
    public static func seconds(_ text: String) throws(WalletError) -> Double {
        guard let v = Double(text), v.isFinite, v > 0 else {
            throw .invalidNumber(what: "timeout", text: text, reason: "give a positive number of seconds")
        }
        guard v <= WalletLimits.commitWaitMaxSeconds else {
            throw .invalidNumber(what: "timeout", text: text, reason: "at most \(Int(WalletLimits.commitWaitMaxSeconds)) s")
        }
        return v
    }

    /// A transaction or block hash: 64 hex characters (an optional `0x` is dropped).
    public static func hash(_ text: String) throws(WalletError) -> Digest {
        var t = text
        if t.hasPrefix("0x") { t.removeFirst(2) }
        guard t.utf8.count == 64, let d = try? Digest(hex: t) else { throw .invalidHash(text) }
        return d
    }

    /// `hash(_:)` as lowercase hex (for async code, which keeps digests as text).
    public static func hashHex(_ text: String) throws(WalletError) -> String {
        try hash(text).hex
    }

    /// `account(_:keystore:)` as its `ldg1…` text (for async code, which keeps addresses as text).
    public static func accountAddress(_ text: String, keystore: Keystore) throws(WalletError) -> String {
        try account(text, keystore: keystore).string
    }

    /// A 32-byte Ed25519 seed as 64 hex characters; surrounding whitespace and newlines are ignored.
    public static func seed(_ text: String) throws(KeystoreError) -> [UInt8] {
        let trimmed = String(text.unicodeScalars.filter { !" \t\r\n".unicodeScalars.contains($0) })
        guard let bytes = Hex.decode(trimmed) else { throw .invalidSeed(reason: "not hexadecimal") }
        guard bytes.count == SigningKey.seedByteCount else {
            throw .invalidSeed(reason: "\(bytes.count) bytes, expected \(SigningKey.seedByteCount)")
        }
        return bytes
    }

    /// Text that names an account: an `ldg1…` address (checked strictly) or the name of a key in `keystore`.
    public static func account(_ text: String, keystore: Keystore) throws(WalletError) -> Address {
        if text.lowercased().hasPrefix(Limits.addressPrefix + "1") {
            do { return try Address(string: text) } catch { throw .invalidAddress(text, error) }
        }
        guard KeyName.problem(with: text) == nil, let name = try? KeyName(text) else {
            throw .unknownAccount(text, folder: keystore.folder)
        }
        do {
            return try keystore.info(name).address
        } catch {
            if case .keyNotFound = error { throw .unknownAccount(text, folder: keystore.folder) }
            throw .keystore(error)
        }
    }
}
