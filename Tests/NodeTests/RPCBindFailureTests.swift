// Checks that a validator whose JSON-RPC port is taken refuses to start (non-zero exit, the address in the error) instead of running on without RPC.
import Foundation
import TestSupport
import XCTest

final class RPCBindFailureTests: XCTestCase {
    func testANodeWhoseRPCPortIsTakenExitsWithTheAddressInTheError() async throws {
        let net = try TestnetHarness()
        defer { net.stopAll(); net.removeFiles() }
        let rpcPort = net.basePort + 100
        var squatter: Int32? = try listenLoopback(port: rpcPort)
        defer { if let fd = squatter { close(fd) } }

        try net.start(0)
        let process = try XCTUnwrap(net.processes[0])
        let status = try await waitForExit(process, "node 0 to give up on its taken RPC port", timeout: .seconds(60))
        XCTAssertEqual(status, 1)
        let log = net.log(0)
        XCTAssertTrue(log.contains("cannot listen for JSON-RPC on 127.0.0.1:\(rpcPort)"), log)
        XCTAssertFalse(log.contains("rpc listening"), log)

        // With the port free again, the same home starts and answers.
        if let fd = squatter { close(fd) }
        squatter = nil
        try net.start(0)
        try await net.waitUntil("node 0 to answer status after the port was freed", seconds: 30) {
            (try? await net.status(0)) != nil
        }
    }

}
