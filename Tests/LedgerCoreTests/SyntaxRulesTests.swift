// Checks the chain-id and host:port syntax rules with tables of accepted and refused strings.
import LedgerCore
import XCTest

final class SyntaxRulesTests: XCTestCase {
    func testChainIDRules() {
        for good in ["a", "0", "ledger-testnet", "ledger.main_1", String(repeating: "x", count: 64)] {
            XCTAssertNil(ChainID.problem(with: good), good)
        }
        for bad in ["", "-a", ".a", "_a", "A", "ledger net", "ledger/1", "lédger", String(repeating: "x", count: 65), "a\u{0}"] {
            XCTAssertNotNil(ChainID.problem(with: bad), bad)
        }
    }

    func testNetworkAddressRules() {
        for good in ["127.0.0.1:26600", "node-1.example.com:1", "localhost:65535", "[::1]:7000", "[2001:db8::1]:443"] {
            XCTAssertNil(NetworkAddress.problem(with: good), good)
        }
        for bad in [
            "", "127.0.0.1", ":26600", "host:", "host:0", "host:65536", "host:08080", "host:12345678", "::1:7000",
            "[::1:7000", "[]:7000", "-host:1", "host.:1", "ho st:1", "host:1a", "[::g]:1",
            String(repeating: "a", count: 300) + ":1",
        ] {
            XCTAssertNotNil(NetworkAddress.problem(with: bad), bad)
        }
    }
}
