/// Fixed-size byte storage for digests, keys and signatures, held inline as 64-bit words.
///
/// These replace `SIMD32<UInt8>` / `SIMD64<UInt8>` storage: Swift gives those vectors a
/// 16-byte alignment while LLVM assumes 32/64, and debug builds that keep such a value alive
/// across an `await` corrupt the task allocator (a reproducible crash with Swift 6.3 at
/// `-Onone`). Plain words have the natural 8-byte alignment everywhere. The bytes are the
/// words' memory image, so equality and hashing by word are equality and hashing by byte.

/// 32 bytes inline.
public struct InlineBytes32: Hashable, Sendable, BitwiseCopyable {
    @usableFromInline var w0: UInt64 = 0
    @usableFromInline var w1: UInt64 = 0
    @usableFromInline var w2: UInt64 = 0
    @usableFromInline var w3: UInt64 = 0

    /// 32 zero bytes.
    @inlinable public init() {}

    /// 32 copies of `byte`.
    @inlinable public init(repeating byte: UInt8) {
        let w = UInt64(byte) &* 0x0101_0101_0101_0101
        w0 = w; w1 = w; w2 = w; w3 = w
    }

    /// The byte at `index` (0..<32).
    @inlinable public subscript(index: Int) -> UInt8 {
        get { Swift.withUnsafeBytes(of: self) { $0[index] } }
        set { Swift.withUnsafeMutableBytes(of: &self) { $0[index] = newValue } }
    }
}

/// 64 bytes inline.
public struct InlineBytes64: Hashable, Sendable, BitwiseCopyable {
    @usableFromInline var low = InlineBytes32()
    @usableFromInline var high = InlineBytes32()

    /// 64 zero bytes.
    @inlinable public init() {}

    /// 64 copies of `byte`.
    @inlinable public init(repeating byte: UInt8) {
        low = InlineBytes32(repeating: byte)
        high = low
    }

    /// The byte at `index` (0..<64).
    @inlinable public subscript(index: Int) -> UInt8 {
        get { Swift.withUnsafeBytes(of: self) { $0[index] } }
        set { Swift.withUnsafeMutableBytes(of: &self) { $0[index] = newValue } }
    }
}
