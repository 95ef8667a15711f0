// Test support: plain TCP sockets on 127.0.0.1 for tests that speak raw bytes to a node (hostile input, slow readers) or hold a port.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A blocking TCP connection to 127.0.0.1:`port`; reads time out after `receiveTimeoutSeconds` (a test never
/// blocks on a silent peer for longer). `receiveBufferBytes` shrinks SO_RCVBUF (a slow reader). `sourceAddress`
/// binds the client end to another loopback address first (e.g. "127.0.0.2", a second client machine as the
/// server sees it; Linux routes all of 127/8 to lo). Returns the descriptor, which the caller closes; on failure
/// nothing is left open and the error carries errno.
public func connectLoopback(port: Int, receiveTimeoutSeconds: Int = 5, receiveBufferBytes: Int32? = nil,
                            sourceAddress: String? = nil) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    if var size = receiveBufferBytes {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }
    if let sourceAddress, withLoopbackAddress(port: 0, host: sourceAddress, { bind(fd, $0, $1) }) != 0 {
        let code = errno
        close(fd)
        throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EADDRNOTAVAIL)
    }
    var timeout = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    let r = withLoopbackAddress(port: port) { connect(fd, $0, $1) }
    guard r == 0 else {
        let code = errno
        close(fd)
        throw POSIXError(POSIXErrorCode(rawValue: code) ?? .ECONNREFUSED)
    }
    return fd
}

/// A socket listening on 127.0.0.1:`port` without SO_REUSEADDR, so nothing else can bind the port while it is
/// open (a test that needs a port taken). Returns the descriptor, which the caller closes.
public func listenLoopback(port: Int, backlog: Int32 = 4) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    guard withLoopbackAddress(port: port, { bind(fd, $0, $1) }) == 0, listen(fd, backlog) == 0 else {
        let code = errno
        close(fd)
        throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EADDRINUSE)
    }
    return fd
}

/// Calls `body` with the address `host`:`port` (127.0.0.1 unless given) and its length.
private func withLoopbackAddress(port: Int, host: String = "127.0.0.1",
                                 _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr(host)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
}
