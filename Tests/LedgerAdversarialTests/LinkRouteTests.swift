// The link proxy's routes file: the accepted syntax, and every malformed line refused with its line number.
import XCTest
@testable import ledger_adversarial

final class LinkRouteTests: XCTestCase {
    func testParsesRoutesCommentsArrowsAndOptions() throws {
        let routes = try LinkRoute.parse(file: """
            # from -> to
            198.18.0.1:26800 -> 198.18.0.11:26600 name=0->1 source=198.18.0.100

            198.18.0.1:26801 → 198.18.0.12:26600   # arrow optional
            127.0.0.1:9000 127.0.0.1:9001
            """)
        XCTAssertEqual(routes.count, 3)
        XCTAssertEqual(routes[0], LinkRoute(name: "0->1", listenHost: "198.18.0.1", listenPort: 26800,
                                            targetHost: "198.18.0.11", targetPort: 26600, sourceHost: "198.18.0.100"))
        XCTAssertEqual(routes[1].name, "198.18.0.1:26801->198.18.0.12:26600")
        XCTAssertNil(routes[1].sourceHost)
        XCTAssertEqual(routes[2].targetPort, 9001)
    }

    func testRefusesMalformedLines() {
        let cases: [(String, Int)] = [
            ("127.0.0.1:9000", 1),
            ("127.0.0.1:9000 -> nowhere", 1),
            ("127.0.0.1:9000 127.0.0.1:70000", 1),
            ("127.0.0.1:9000 127.0.0.1:9001 colour=blue", 1),
            ("127.0.0.1:9000 127.0.0.1:9001\n127.0.0.1:9000 127.0.0.1:9002", 2),
            ("127.0.0.1:9000 127.0.0.1:9001 name=a\n127.0.0.1:9002 127.0.0.1:9003 name=a", 2),
        ]
        for (text, line) in cases {
            XCTAssertThrowsError(try LinkRoute.parse(file: text), text) { error in
                guard case let .malformed(at, _) = error as? LinkRouteError else { return XCTFail("\(error)") }
                XCTAssertEqual(at, line, text)
            }
        }
        XCTAssertThrowsError(try LinkRoute.parse(file: "# nothing\n\n")) { XCTAssertEqual($0 as? LinkRouteError, .empty) }
    }
}
