// LedgerCoreTests: placeholder until the suite lands.
import XCTest
