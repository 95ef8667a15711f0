import NIOCore

/// Stops reading from a connection while its peer's received payloads wait unconsumed over
/// budget (`P2PLimits.receiveBudgetBytesPerPeer`): the socket is read no further, so the
/// kernel's buffers fill and TCP slows the sender, instead of this node reading, decrypting and
/// then dropping what it cannot keep up with. First in the pipeline; runs on the channel's loop.
final class ReadGate: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?
    private var isPaused = false
    private var readWanted = false

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func read(context: ChannelHandlerContext) {
        if isPaused { readWanted = true } else { context.read() }
    }

    /// Holds further reads (a read already under way completes).
    func pause() { isPaused = true }

    /// Lets reads flow again, issuing the one that was held.
    func resume() {
        guard isPaused else { return }
        isPaused = false
        if readWanted, let context {
            readWanted = false
            context.read()
        }
    }
}
