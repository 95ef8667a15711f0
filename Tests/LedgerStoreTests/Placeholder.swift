// LedgerStoreTests: placeholder until the suite lands.
import XCTest
