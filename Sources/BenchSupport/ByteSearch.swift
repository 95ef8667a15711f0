/// Substring search over raw bytes (the scanner reads node JSON without building a document).
public enum ByteSearch {
    /// The index of the first occurrence of `pattern` in `bytes[from..<to]`, or `nil`.
    public static func find(_ pattern: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        let m = pattern.count
        guard m > 0, from >= 0, to <= bytes.count, to - from >= m else { return nil }
        let first = pattern[0]
        var i = from
        let last = to - m
        while i <= last {
            if bytes[i] == first {
                var j = 1
                while j < m && bytes[i + j] == pattern[j] { j += 1 }
                if j == m { return i }
            }
            i += 1
        }
        return nil
    }

    /// The unsigned decimal digits starting at `at`, or `nil` if there are none or they overflow.
    static func decimal(in bytes: UnsafeBufferPointer<UInt8>, at: Int) -> UInt64? {
        var i = at
        var value: UInt64 = 0
        while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(bytes[i] - 0x30))
            if o1 || o2 { return nil }
            value = s
            i += 1
        }
        return i == at ? nil : value
    }

    /// 32 bytes from 64 lowercase or uppercase hex digits at `at`, or `nil`.
    static func hash32(in bytes: UnsafeBufferPointer<UInt8>, at: Int) -> [UInt8]? {
        guard at >= 0, at + 64 <= bytes.count else { return nil }
        var out = [UInt8](repeating: 0, count: 32)
        for k in 0..<32 {
            guard let hi = nibble(bytes[at + 2 * k]), let lo = nibble(bytes[at + 2 * k + 1]) else { return nil }
            out[k] = hi << 4 | lo
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }
}
