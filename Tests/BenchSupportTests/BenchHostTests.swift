// Checks which RPC hosts the load generator accepts from a nodes file: loopback and the namespace network's
// benchmarking range 198.18.0.0/15, nothing else (no private or public address, no malformed text).
import BenchSupport
import XCTest

final class BenchHostTests: XCTestCase {
    func testLoopbackAndTheBenchmarkingRangeAreOnThisMachine() {
        for host in ["127.0.0.1", "localhost", "127.0.0.2", "198.18.0.10", "198.18.4.13", "198.19.255.254"] {
            XCTAssertTrue(BenchHost.isOnThisMachine(host), host)
        }
    }

    func testOtherAddressesAndMalformedHostsAreRefused() {
        let refused = [
            "10.0.0.1", "192.168.1.10", "172.16.0.1", "8.8.8.8", "198.17.0.10", "198.20.0.10", "199.18.0.10",
            "example.com", "", "198.18.0", "198.18.0.10.1", "198.18.0.256", "198.018.0.10", "198.18.0.-1", "198.18..10",
            "127.0.0.1 ", "１２７.0.0.1",
        ]
        for host in refused { XCTAssertFalse(BenchHost.isOnThisMachine(host), host) }
    }
}
