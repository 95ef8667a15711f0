import LedgerCore
import LedgerCrypto
import XCTest

final class ValidatorSetChangeTests: XCTestCase {
    private let keys = (1...8).map { Fixtures.key(UInt8($0)) }
    private let newcomer = Fixtures.key(40)

    private func set(_ count: Int) -> [Validator] {
        (0..<count).map { Validator(id: ReplicaID($0), publicKey: keys[$0].publicKey, p2pAddress: "10.0.0.\($0 + 1):26656") }
    }

    private func change(_ operations: [ValidatorSetChange.Operation], epoch: UInt64 = 0, signers: [Int] = [0, 1, 2]) throws
    -> ValidatorSetChange {
        var change = try ValidatorSetChange(chainID: Fixtures.chainID, epoch: epoch, operations: operations)
        for signer in signers { change = change.approved(by: keys[signer]) }
        return change
    }

    private func add(_ key: SigningKey, _ address: String = "10.0.0.99:26656") -> ValidatorSetChange.Operation {
        .add(publicKey: key.publicKey, p2pAddress: address, rpcAddress: nil)
    }

    private func refusal(_ change: ValidatorSetChange, _ current: [Validator], epoch: UInt64 = 0) -> ValidatorSetChangeError? {
        do {
            _ = try change.nextSet(after: current, currentEpoch: epoch, chainID: Fixtures.chainID)
            return nil
        } catch {
            return error
        }
    }

    func testAnAddAppendsTheNewValidatorAndRenumbers() throws {
        let next = try change([add(newcomer)]).nextSet(after: set(4), currentEpoch: 0, chainID: Fixtures.chainID)
        XCTAssertEqual(next.map(\.publicKey), keys[0..<4].map(\.publicKey) + [newcomer.publicKey])
        XCTAssertEqual(next.map(\.id.index), [0, 1, 2, 3, 4])
        XCTAssertEqual(next[4].p2pAddress, "10.0.0.99:26656")
    }

    func testARemovalAndARotationKeepTheOthersInOrder() throws {
        // n = 7, f = 2: one removed and one re-keyed is two replaced; quorum 5.
        let next = try change([.remove(publicKey: keys[1].publicKey), .rotate(old: keys[4].publicKey, new: newcomer.publicKey)],
                              signers: [0, 2, 3, 5, 6])
            .nextSet(after: set(7), currentEpoch: 0, chainID: Fixtures.chainID)
        XCTAssertEqual(next.map(\.publicKey), [keys[0], keys[2], keys[3], newcomer, keys[5], keys[6]].map(\.publicKey))
        XCTAssertEqual(next[3].p2pAddress, "10.0.0.5:26656", "a rotated validator keeps its address and place")
        XCTAssertEqual(next.map(\.id.index), Array(0..<6))
    }

    func testTheEncodingRoundTripsAndTheIdIgnoresApprovals() throws {
        let operations: [ValidatorSetChange.Operation] = [
            .add(publicKey: newcomer.publicKey, p2pAddress: "v5.example.org:26656", rpcAddress: "v5.example.org:8545"),
            .rotate(old: keys[0].publicKey, new: keys[7].publicKey),
        ]
        let signed = try change(operations, epoch: 3, signers: [2, 0, 1])
        let decoded = try ValidatorSetChange.decode(signed.encoded())
        XCTAssertEqual(decoded, signed)
        XCTAssertEqual(decoded.approvals.map(\.signer), [keys[0], keys[1], keys[2]].map(\.publicKey).sorted())
        let unsigned = try ValidatorSetChange(chainID: Fixtures.chainID, epoch: 3, operations: operations)
        XCTAssertEqual(unsigned.id, signed.id)
        XCTAssertEqual(try ValidatorSetChange.load(json: signed.jsonBytes()), signed)
        XCTAssertTrue(signed.signingBytes().starts(with: Array("ledger-valset-v1".utf8) + [0]))
    }

    func testCombiningMergesApprovalsOfOneChangeOnly() throws {
        let a = try change([add(newcomer)], signers: [0])
        let b = try change([add(newcomer)], signers: [1, 2])
        let combined = try a.combining(b)
        XCTAssertEqual(combined.approvals.count, 3)
        XCTAssertNoThrow(try combined.nextSet(after: set(4), currentEpoch: 0, chainID: Fixtures.chainID))
        let other = try change([add(newcomer, "10.0.0.98:26656")], signers: [3])
        XCTAssertThrowsError(try a.combining(other)) { XCTAssertTrue("\($0)".contains("different changes")) }
    }

    func testEveryRuleRefusesWithItsOwnReason() throws {
        let four = set(4)
        XCTAssertEqual(refusal(try change([add(newcomer)], signers: [0, 1]), four), .notEnoughApprovals(2, quorum: 3))
        XCTAssertEqual(refusal(try change([add(newcomer)], epoch: 1), four), .wrongEpoch(change: 1, current: 0))
        XCTAssertEqual(refusal(try change([.remove(publicKey: keys[0].publicKey)]), four), .resultingSetSize(3, minimum: 4, maximum: 100))
        XCTAssertEqual(refusal(try change([add(keys[2])]), four), .repeatedKey(keys[2].publicKey))
        XCTAssertEqual(refusal(try change([add(newcomer), add(newcomer, "10.0.0.98:1")]), four), .repeatedKey(newcomer.publicKey))
        XCTAssertEqual(refusal(try change([.rotate(old: keys[0].publicKey, new: keys[1].publicKey)]), four), .repeatedKey(keys[1].publicKey))
        XCTAssertEqual(refusal(try change([add(newcomer, "10.0.0.2:26656")]), four), .repeatedAddress("10.0.0.2:26656"))
        XCTAssertEqual(refusal(try change([.remove(publicKey: newcomer.publicKey)]), set(5)), .notAValidator(newcomer.publicKey))
        // n = 5, f = 1: two replaced at once is too many, even though 3 would stay.
        XCTAssertEqual(
            refusal(try change([.remove(publicKey: keys[3].publicKey), .rotate(old: keys[4].publicKey, new: newcomer.publicKey)],
                               signers: [0, 1, 2, 3]), set(5)),
            .tooManyReplaced(2, maximum: 1))
        var outsider = try change([add(newcomer)], signers: [0, 1])
        outsider = outsider.approved(by: newcomer)
        XCTAssertEqual(refusal(outsider, four), .approvalFromOutsider(newcomer.publicKey))
        let wrongChain = try ValidatorSetChange(chainID: "other-chain", epoch: 0, operations: [add(newcomer)])
        XCTAssertEqual(refusal(wrongChain, four), .wrongChain(change: "other-chain", current: Fixtures.chainID))
    }

    /// n = 5 has quorum 4 (decision 0037): three approvals of a five-validator set are not enough.
    func testTheQuorumIsTheCurrentSetsForAnyN() throws {
        XCTAssertEqual(refusal(try change([add(newcomer)], signers: [0, 1, 2]), set(5)), .notEnoughApprovals(3, quorum: 4))
        XCTAssertNil(refusal(try change([add(newcomer)], signers: [0, 1, 2, 4]), set(5)))
    }

    func testAnApprovalCannotBeMovedToAnotherChangeOrEpoch() throws {
        let real = try change([add(newcomer)], signers: [0, 1, 2])
        // The same approvals attached to a change of the next epoch (a replay) do not verify.
        let replay = try ValidatorSetChange(chainID: Fixtures.chainID, epoch: 1, operations: real.operations, approvals: real.approvals)
        XCTAssertEqual(refusal(replay, set(4), epoch: 1), .invalidApproval(real.approvals[0].signer))
        // Nor on a change with another operation.
        let moved = try ValidatorSetChange(chainID: Fixtures.chainID, epoch: 0, operations: [add(keys[7])], approvals: real.approvals)
        XCTAssertEqual(refusal(moved, set(4)), .invalidApproval(real.approvals[0].signer))
    }

    func testHostileEncodingsAreRefusedWithoutTrapping() throws {
        let good = try change([add(newcomer)]).encoded()
        XCTAssertThrowsError(try ValidatorSetChange.decode(good + [0]))
        XCTAssertThrowsError(try ValidatorSetChange.decode(Array(good.dropLast())))
        XCTAssertThrowsError(try ValidatorSetChange.decode([UInt8](repeating: 0, count: Limits.validatorSetChangeMaxBytes + 1))) {
            XCTAssertTrue("\($0)".contains("more than the maximum"), "\($0)")
        }
        // Operation kind 9.
        let kindOffset = 1 + 1 + Fixtures.chainID.utf8.count + 8 + 1
        var badKind = good
        badKind[kindOffset] = 9
        XCTAssertThrowsError(try ValidatorSetChange.decode(badKind))
        // Approvals out of order: swap the first two (32 + 64 bytes each) of a three-approval change.
        let approvalsStart = good.count - 3 * 96
        var swapped = Array(good[..<approvalsStart])
        swapped += good[(approvalsStart + 96)..<(approvalsStart + 192)] + good[approvalsStart..<(approvalsStart + 96)]
        swapped += good[(approvalsStart + 192)...]
        XCTAssertThrowsError(try ValidatorSetChange.decode(swapped)) { XCTAssertTrue("\($0)".contains("ascending"), "\($0)") }
        // Random bytes never trap.
        var rng = SeededGenerator(seed: 31)
        for _ in 0..<2_000 {
            var bytes = good
            for _ in 0..<3 { bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            _ = try? ValidatorSetChange.decode(bytes)
            _ = try? ValidatorSetChange.decode(Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng))))
        }
    }

    func testTheChangeFileRefusesTyposAndEdits() throws {
        let json = String(decoding: try change([add(newcomer)]).jsonBytes(), as: UTF8.self)
        XCTAssertThrowsError(try ValidatorSetChange.load(json: Array(json.replacingOccurrences(of: "\"p2p_address\"", with: "\"p2p_adress\"").utf8))) {
            XCTAssertTrue("\($0)".contains("unknown field 'p2p_adress'"), "\($0)")
        }
        XCTAssertThrowsError(try ValidatorSetChange.load(json: Array(json.replacingOccurrences(of: "10.0.0.99", with: "10.0.0.98").utf8))) {
            XCTAssertTrue("\($0)".contains("does not match"), "\($0)")
        }
        XCTAssertThrowsError(try ValidatorSetChange.load(json: Array(json.replacingOccurrences(of: "\"add\"", with: "\"promote\"").utf8))) {
            XCTAssertTrue("\($0)".contains("not add, remove or rotate"), "\($0)")
        }
    }
}
