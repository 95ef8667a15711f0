// A ledger database the node cannot read while admitting is the node's fault, not the transaction's: the client is
// told so (-32603, retryable), never "malformed transaction".
@testable import Node
import RPC
import XCTest

final class StoreUnavailableRejectionTests: XCTestCase {
    func testAStoreFailureIsAnInternalErrorNamingTheDatabaseNotAMalformedTransaction() {
        let refusal = MempoolRejection.storeUnavailable("disk I/O error")
        XCTAssertEqual(refusal.reasonCode, "store_unavailable")
        XCTAssertEqual(refusal.details.map { "\($0.0)=\($0.1)" }, ["detail=disk I/O error"])
        let error = NodeRPCBackend.rejection(refusal)
        XCTAssertEqual(error.code, RPCError.Code.internalError)
        XCTAssertTrue(error.message.contains("cannot read its ledger database (disk I/O error)"), error.message)
        XCTAssertFalse(error.message.contains("malformed"), error.message)
        XCTAssertEqual(NodeRPCBackend.rejection(.zeroAmount).code, RPCError.Code.transactionRejected, "refusals of the transaction keep -32010")
    }
}
