// Parsing of what users type and nodes send: amounts, addresses, hashes, seeds, node URLs, JSON; checked case by case.
import Foundation
import LedgerCore
import LedgerCrypto
import LedgerJSON
import Wallet
import XCTest

final class InputParsingTests: XCTestCase {
    func testAmountsAreStrictDecimalUInt64() throws {
        XCTAssertEqual(try InputParsing.amount("1"), 1)
        XCTAssertEqual(try InputParsing.amount("18446744073709551615"), UInt64.max)
        for bad in ["0", "", "01", "-1", "+1", "1.5", "1e3", " 1", "1 ", "1_000", "0x10", "18446744073709551616", "99999999999999999999999"] {
            XCTAssertThrowsError(try InputParsing.amount(bad), bad) { error in
                guard case .invalidNumber? = error as? WalletError else { return XCTFail("\(bad): \(error)") }
                XCTAssertEqual((error as? WalletError)?.exitCode, WalletExitCode.usage)
            }
        }
        XCTAssertEqual(try InputParsing.uint64("0", what: "height"), 0)
    }

    func testAddressesWithABadChecksumAreRefusedAndNamesResolveThroughTheKeystore() throws {
        let key = SigningKey.generate()
        let good = Address(publicKey: key.publicKey).string
        let store = Keystore(folder: NSTemporaryDirectory() + "wallet-parse-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
        defer { try? FileManager.default.removeItem(atPath: store.folder) }
        XCTAssertEqual(try InputParsing.account(good, keystore: store).string, good)
        // Change one data character: the bech32m checksum catches it.
        var chars = Array(good)
        chars[10] = chars[10] == "q" ? "p" : "q"
        let typo = String(chars)
        XCTAssertThrowsError(try InputParsing.account(typo, keystore: store)) { error in
            XCTAssertEqual(error as? WalletError, .invalidAddress(typo, .invalidChecksum))
            XCTAssertTrue("\(error)".contains("checksum"))
        }
        XCTAssertThrowsError(try InputParsing.account("carol", keystore: store)) { error in
            guard case .unknownAccount("carol", _)? = error as? WalletError else { return XCTFail("\(error)") }
        }
        let info = try store.create(name: try KeyName("carol"), passphrase: Array("p".utf8), strength: .interactive)
        XCTAssertEqual(try InputParsing.account("carol", keystore: store), info.address)
    }

    func testHashesAndSeeds() throws {
        let d = Hash.blake2b256([1, 2, 3])
        XCTAssertEqual(try InputParsing.hash(d.hex), d)
        XCTAssertEqual(try InputParsing.hash("0x" + d.hex.uppercased()), d)
        XCTAssertThrowsError(try InputParsing.hash(String(d.hex.dropLast())))
        XCTAssertThrowsError(try InputParsing.hash(String(d.hex.dropLast()) + "g"))
        let seed = [UInt8](repeating: 0xab, count: 32)
        XCTAssertEqual(try InputParsing.seed(Hex.encode(seed) + "\n"), seed)
        XCTAssertThrowsError(try InputParsing.seed("abcd"))
        XCTAssertThrowsError(try InputParsing.seed(String(repeating: "x", count: 64)))
    }

    func testNodeURLs() throws {
        let e = try RPCEndpoint(url: "http://127.0.0.1:26700")
        XCTAssertEqual(e.host, "127.0.0.1")
        XCTAssertEqual(e.port, 26700)
        XCTAssertEqual(e.path, "/")
        XCTAssertEqual(e.url, "http://127.0.0.1:26700/")
        XCTAssertEqual(try RPCEndpoint(url: "localhost:8080/rpc").path, "/rpc")
        XCTAssertEqual(try RPCEndpoint(url: "http://[::1]:9000/").host, "::1")
        XCTAssertEqual(try RPCEndpoint(url: "http://node.example").port, 80)
        let secure = try RPCEndpoint(url: "HTTPS://rpc.example.org/ledger")
        XCTAssertEqual(secure.port, 443)
        XCTAssertEqual(secure.url, "https://rpc.example.org:443/ledger")
        for bad in ["ftp://x:1", "http://x:1/a b", "http://:80", "http://x:0", "http://x:70000", "http://x:abc", ""] {
            XCTAssertThrowsError(try RPCEndpoint(url: bad), bad)
        }
    }

    func testDefaultNodeComesFromOptionEnvironmentTestnetThenFallback() throws {
        let dir = NSTemporaryDirectory() + "wallet-locator-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: dir + "/.testnet", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(NodeLocator.resolve(option: nil, environment: [:], currentDirectory: dir), NodeLocator.fallbackURL)
        try #"[{"id":1,"rpc":"http://127.0.0.1:9101"},{"id":0,"rpc":"http://127.0.0.1:9100"}]"#
            .write(toFile: dir + "/.testnet/nodes.json", atomically: true, encoding: .utf8)
        XCTAssertEqual(NodeLocator.resolve(option: nil, environment: [:], currentDirectory: dir), "http://127.0.0.1:9100")
        XCTAssertEqual(NodeLocator.resolve(option: nil, environment: ["LEDGER_NODE": "http://e:1"], currentDirectory: dir), "http://e:1")
        XCTAssertEqual(NodeLocator.resolve(option: "http://o:1", environment: ["LEDGER_NODE": "http://e:1"], currentDirectory: dir), "http://o:1")
    }

    func testJSONParsingIsStrictAndKeepsBigNumbersExact() throws {
        let doc = try JSONValue.parse(#"{"a":[1,-2.5e3,"x\u00e9\ud83d\ude00",true,null],"big":18446744073709551615,"s":"18446744073709551615"}"#)
        XCTAssertEqual(doc["big"]?.uint64Value, UInt64.max)
        XCTAssertEqual(doc["s"]?.uint64Value, UInt64.max)
        XCTAssertEqual(doc["a"]?.arrayValue?[2].stringValue, "xé😀")
        XCTAssertEqual(try JSONValue.parse(doc.serialized()), doc)
        XCTAssertEqual(try JSONValue.parse(doc.serialized(pretty: true)), doc)
        for bad in ["", "{", "[1,]", "{\"a\":1,}", "01", "1 2", "\"\u{01}\"", "\"\\ud800\"", "tru", "{'a':1}"] {
            XCTAssertThrowsError(try JSONValue.parse(bad), bad)
        }
        XCTAssertThrowsError(try JSONValue.parse([0x22, 0xff, 0x22]))  // invalid UTF-8
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        XCTAssertThrowsError(try JSONValue.parse(deep, limits: JSONLimits(maxDepth: 64)))
        XCTAssertNoThrow(try JSONValue.parse(deep, limits: JSONLimits(maxDepth: 300)))
    }

    func testRejectionsMapToActionableErrors() {
        let sender = Address(publicKey: SigningKey.generate().publicKey).string
        let funds = RPCServerError(code: -32010, message: "transaction rejected: insufficient funds",
                                   data: .object([("reason", .string("insufficient_funds")), ("balance", .string("5")), ("needed", .string("9"))]))
        XCTAssertEqual(RejectionMapping.walletError(for: funds, sender: sender, amount: 9),
                       .insufficientFunds(address: sender, balance: 5, amount: 9))
        let nonce = RPCServerError(code: -32010, message: "x",
                                   data: .object([("reason", .string("nonce_too_low")), ("expected", .string("9")), ("got", .string("7"))]))
        guard case let .nonceRace(_, detail) = RejectionMapping.walletError(for: nonce, sender: sender, amount: 1) else {
            return XCTFail("not a nonce race")
        }
        XCTAssertTrue(detail.contains("7") && detail.contains("9"))
        // Older nodes: message only.
        let oldFunds = RPCServerError(code: -32010, message: "transaction rejected: sender balance 3 cannot pay 10")
        XCTAssertEqual(RejectionMapping.walletError(for: oldFunds, sender: sender, amount: 10),
                       .insufficientFunds(address: sender, balance: 3, amount: 10))
        let oldNonce = RPCServerError(code: -32010, message: "transaction rejected: nonce 2 already used; next is 4")
        let mapped = RejectionMapping.walletError(for: oldNonce, sender: sender, amount: 1)
        guard case .nonceRace = mapped else { return XCTFail("\(mapped)") }
        XCTAssertEqual(mapped.exitCode, WalletExitCode.rejected)
        XCTAssertTrue(mapped.description.contains("run the command again"))
        let other = RPCServerError(code: -32010, message: "m", data: .object([("reason", .string("mempool_full"))]))
        XCTAssertEqual(RejectionMapping.walletError(for: other, sender: sender, amount: 1), .rejected(reason: "mempool_full", message: "m"))
    }
}
