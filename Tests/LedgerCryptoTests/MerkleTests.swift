// Checks Merkle roots for small counts against hand-built trees, proofs for every index of sizes 1...33, and tamper refusals.
import XCTest
import LedgerCrypto

final class MerkleTests: XCTestCase {
    func leaves(_ count: Int) -> [Digest] {
        (0..<count).map { Hash.blake2b256(Array("tx \($0)".utf8)) }
    }

    func testRootOfNoLeavesIsHashOfEmpty() {
        XCTAssertEqual(Merkle.root([]), Hash.blake2b256([]))
    }

    func testRootOfOneLeafIsItsLeafHash() {
        let l = leaves(1)
        XCTAssertEqual(Merkle.root(l), Merkle.leafHash(l[0]))
        XCTAssertNotEqual(Merkle.root(l), l[0])
    }

    func testRootsOfTwoAndThreeLeavesFollowTheLayout() {
        let l = leaves(3)
        let a = Merkle.leafHash(l[0]), b = Merkle.leafHash(l[1]), c = Merkle.leafHash(l[2])
        XCTAssertEqual(Merkle.root(Array(l[0..<2])), Merkle.nodeHash(a, b))
        // The odd third node is promoted, not duplicated.
        XCTAssertEqual(Merkle.root(l), Merkle.nodeHash(Merkle.nodeHash(a, b), c))
        XCTAssertNotEqual(Merkle.root(l), Merkle.root(l + [l[2]]))
    }

    func testRootOfFiveLeaves() {
        let l = leaves(5).map(Merkle.leafHash)
        let expected = Merkle.nodeHash(Merkle.nodeHash(Merkle.nodeHash(l[0], l[1]), Merkle.nodeHash(l[2], l[3])), l[4])
        XCTAssertEqual(Merkle.root(leaves(5)), expected)
    }

    func testLeafAndNodeHashesAreDomainSeparated() {
        let l = leaves(2)
        var manual = Hasher256()
        manual.update([0x00])
        manual.update(l[0])
        let manualDigest = manual.finalize()
        XCTAssertEqual(Merkle.leafHash(l[0]), manualDigest)
        var node = Hasher256()
        node.update([0x01])
        node.update(l[0])
        node.update(l[1])
        let nodeDigest = node.finalize()
        XCTAssertEqual(Merkle.nodeHash(l[0], l[1]), nodeDigest)
    }

    func testRootDependsOnOrder() {
        let l = leaves(4)
        XCTAssertNotEqual(Merkle.root(l), Merkle.root(l.reversed()))
    }

    func testProofsVerifyForEveryIndexOfSizesOneTo33() {
        for size in 1...33 {
            let l = leaves(size)
            let root = Merkle.root(l)
            for index in 0..<size {
                guard let proof = Merkle.proof(l, index: index) else {
                    XCTFail("no proof for \(index) of \(size)")
                    continue
                }
                XCTAssertTrue(Merkle.verify(leaf: l[index], proof: proof, root: root), "index \(index) of \(size)")
            }
        }
    }

    func testProofOutOfRangeIsNil() {
        XCTAssertNil(Merkle.proof(leaves(3), index: 3))
        XCTAssertNil(Merkle.proof(leaves(3), index: -1))
        XCTAssertNil(Merkle.proof([], index: 0))
    }

    func testProofFailsForAnotherLeafRootOrIndex() {
        let l = leaves(7)
        let root = Merkle.root(l)
        let proof3 = Merkle.proof(l, index: 3)!
        XCTAssertTrue(Merkle.verify(leaf: l[3], proof: proof3, root: root))
        // Another leaf.
        XCTAssertFalse(Merkle.verify(leaf: l[4], proof: proof3, root: root))
        // Another root.
        XCTAssertFalse(Merkle.verify(leaf: l[3], proof: proof3, root: Merkle.root(leaves(8))))
        // Another index's proof.
        XCTAssertFalse(Merkle.verify(leaf: l[3], proof: Merkle.proof(l, index: 2)!, root: root))
        // A flipped side.
        var flipped = proof3
        flipped[0].siblingIsLeft.toggle()
        XCTAssertFalse(Merkle.verify(leaf: l[3], proof: flipped, root: root))
        // A truncated proof.
        XCTAssertFalse(Merkle.verify(leaf: l[3], proof: Array(proof3.dropLast()), root: root))
    }

    /// An inner node offered as a leaf (with the path above it as proof) does not reach the root.
    func testInnerNodeCannotPoseAsLeaf() {
        let l = leaves(4)
        let h = l.map(Merkle.leafHash)
        let left = Merkle.nodeHash(h[0], h[1])
        let right = Merkle.nodeHash(h[2], h[3])
        let root = Merkle.root(l)
        XCTAssertEqual(root, Merkle.nodeHash(left, right))
        let forged = [Merkle.ProofStep(sibling: right, siblingIsLeft: false)]
        XCTAssertFalse(Merkle.verify(leaf: left, proof: forged, root: root))
        // Nor does a two-leaf tree of the inner nodes share the root.
        XCTAssertNotEqual(Merkle.root([left, right]), root)
    }
}
