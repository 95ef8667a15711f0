// Feeds random bytes and randomly mutated valid encodings to every decoder: each must return or throw, never trap, and anything it accepts must re-encode to the same bytes.
import LedgerCore
import LedgerCrypto
import XCTest

final class DecoderRobustnessTests: XCTestCase {
    static let seed: UInt64 = 0xdec0de

    func validEncodings() -> [(String, [UInt8])] {
        let a = Fixtures.key(1)
        let b = Fixtures.key(2)
        let txs = [
            Fixtures.transfer(from: a, to: b, amount: 5, nonce: 1, memo: [1, 2, 3]),
            Fixtures.transfer(from: b, to: a, amount: 6, nonce: 0),
        ]
        let batch = Batch(view: View(4), timestamp: 77, transactions: txs)
        var state = AccountState(accounts: [Account(publicKey: a.publicKey, balance: 10)])
        let genesisHeader = BlockHeader(
            height: .zero, previousHash: .zero, batchDigest: .zero, view: .zero, proposer: ReplicaID(0), timestamp: 0,
            txRoot: Merkle.root([]), stateHash: .zero, txCount: 0)
        let execution = StateTransition.execute(batch: batch, previous: genesisHeader, proposer: ReplicaID(0), accounts: state,
                                                membership: Fixtures.membership, rules: Fixtures.rules)
        state.apply(execution)
        return [
            ("transaction", txs[0].encoded()),
            ("batch", batch.encoded()),
            ("header", execution.block.header.encoded()),
            ("block", execution.block.encoded()),
            ("receipt", execution.receipts[1].encoded()),
            ("account", state.sortedAccounts[0].encoded()),
        ]
    }

    /// Decodes with the decoder for `kind`; returns the re-encoding when it succeeds.
    func decode(_ kind: String, _ bytes: [UInt8]) -> [UInt8]? {
        switch kind {
        case "transaction": return (try? Transaction.decode(bytes))?.encoded()
        case "batch": return (try? Batch.decode(bytes))?.encoded()
        case "header": return (try? BlockHeader.decode(bytes))?.encoded()
        case "block": return (try? Block.decode(bytes))?.encoded()
        case "receipt": return (try? Receipt.decode(bytes))?.encoded()
        default: return (try? Account.decode(bytes))?.encoded()
        }
    }

    func testMutatedAndRandomInputsNeverTrapAndAcceptedOnesAreCanonical() {
        var rng = SeededGenerator(seed: Self.seed)
        for (kind, good) in validEncodings() {
            XCTAssertEqual(decode(kind, good), good, kind)
            for iteration in 0..<300 {
                var bytes = good
                switch iteration % 4 {
                case 0:  // flip one byte
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    bytes[i] ^= UInt8.random(in: 1...255, using: &rng)
                case 1:  // set a 4-byte window to 0xff (huge lengths and counts)
                    let i = Int.random(in: 0..<max(1, bytes.count - 4), using: &rng)
                    for j in i..<min(i + 4, bytes.count) { bytes[j] = 0xff }
                case 2:  // insert a random byte
                    bytes.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng))
                default:  // entirely random input of a similar length
                    bytes = rng.bytes(Int.random(in: 0...(good.count + 8), using: &rng))
                    if !bytes.isEmpty { bytes[0] = 1 }  // get past the version byte
                }
                if let reencoded = decode(kind, bytes) {
                    XCTAssertEqual(reencoded, bytes, "\(kind) seed \(Self.seed) iteration \(iteration): accepted a non-canonical form")
                }
            }
        }
    }
}
