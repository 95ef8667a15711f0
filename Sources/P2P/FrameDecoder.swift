import NIOCore

/// Splits the byte stream into frames: a 4-byte big-endian length, then that many bytes.
///
/// The length is checked against the limit as soon as its 4 bytes arrive, before any
/// buffer for the body is waited for, so an oversized announcement costs nothing and
/// closes the connection (`TransportError.frameTooLarge`). The first `handshakeFrames`
/// frames (the Hello and Auth) have the much smaller handshake limit. A zero-length frame
/// is passed on as an empty buffer; the layer above decides what it means.
struct FrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    /// Bytes in the length prefix.
    static let prefixBytes = 4

    let maxFrameBytes: Int
    let maxHandshakeFrameBytes: Int
    private var handshakeFramesLeft: Int

    init(maxFrameBytes: Int, maxHandshakeFrameBytes: Int, handshakeFrames: Int = 2) {
        self.maxFrameBytes = maxFrameBytes
        self.maxHandshakeFrameBytes = maxHandshakeFrameBytes
        self.handshakeFramesLeft = handshakeFrames
    }

    /// The frame limit for the next frame.
    var currentLimit: Int { handshakeFramesLeft > 0 ? maxHandshakeFrameBytes : maxFrameBytes }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self) else {
            return .needMoreData
        }
        let limit = currentLimit
        guard UInt64(length) <= UInt64(limit) else {
            throw TransportError.frameTooLarge(length: Int(length), limit: limit)
        }
        guard buffer.readableBytes >= FrameDecoder.prefixBytes + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: FrameDecoder.prefixBytes)
        guard let frame = buffer.readSlice(length: Int(length)) else { return .needMoreData }
        if handshakeFramesLeft > 0 { handshakeFramesLeft -= 1 }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // Complete frames still in the buffer are delivered; a torn tail is dropped silently.
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// Builds one length-prefixed frame around `body`.
enum FrameEncoding {
    static func frame(_ body: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: FrameDecoder.prefixBytes + body.count)
        buffer.writeInteger(UInt32(truncatingIfNeeded: body.count), endianness: .big)
        buffer.writeBytes(body)
        return buffer
    }
}
