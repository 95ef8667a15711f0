// `ledger-adversarial --netns`: the layout netns-hosts prints is read strictly, and the cluster's plan puts each node
// on its namespace's address and each link's proxy on the bridge, leaving from the sender's source address.
import XCTest
@testable import ledger_adversarial

final class NamespaceNetworkTests: XCTestCase {
    private let layout = """
        gateway 198.18.2.1
        node 0 ladv-n0 198.18.2.10 198.18.2.100
        node 1 ladv-n1 198.18.2.11 198.18.2.101
        node 2 ladv-n2 198.18.2.12 198.18.2.102
        node 3 ladv-n3 198.18.2.13 198.18.2.103
        node 4 ladv-n4 198.18.2.14 198.18.2.104
        """

    func testReadsTheLayoutNetnsHostsPrints() throws {
        let network = try NamespaceNetwork.parse(layout, script: "netns-hosts")
        XCTAssertEqual(network.gateway, "198.18.2.1")
        XCTAssertEqual(network.hosts.count, 5)
        XCTAssertEqual(network.hosts[4], NamespaceNetwork.Host(namespace: "ladv-n4", address: "198.18.2.14", source: "198.18.2.104"))
        let start = network.command(node: 2, ["/bin/ledger-node", "start", "--home", "/h"])
        XCTAssertEqual(start.arguments, ["netns", "exec", "ladv-n2", "/bin/ledger-node", "start", "--home", "/h"])
    }

    func testRefusesALayoutItDoesNotUnderstand() {
        let bad = [
            "node 0 ladv-n0 198.18.2.10 198.18.2.100",                                   // no gateway
            "gateway 198.18.2.1\nnode 1 ladv-n1 198.18.2.11 198.18.2.101",               // out of order
            "gateway 198.18.2.1\nnode 0 ladv-n0 198.18.2.10",                            // a field missing
            "gateway 198.18.2.1\nnetns-hosts: --netns needs root",                       // anything else
        ]
        for text in bad { XCTAssertThrowsError(try NamespaceNetwork.parse(text, script: "netns-hosts"), text) }
    }

    func testPlanPutsNodesOnTheirAddressesAndProxiesOnTheBridge() throws {
        let network = try NamespaceNetwork.parse(layout, script: "netns-hosts")
        let plan = PortPlan(base: 29000, count: 4, network: network)
        XCTAssertEqual(plan.rpcURL(1), "http://198.18.2.11:29101/")
        XCTAssertEqual(plan.route(4, 2), LinkRoute(name: "4->2", listenHost: "198.18.2.1", listenPort: 29000 + 20 + 4 * 4 + 2,
                                                   targetHost: "198.18.2.12", targetPort: 29002, sourceHost: "198.18.2.104"))
        let loopback = PortPlan(base: 29000, count: 4)
        XCTAssertEqual(loopback.rpcURL(1), "http://127.0.0.1:29101/")
        XCTAssertEqual(loopback.route(0, 1), LinkRoute.loopback(name: "0->1", listenPort: 29021, targetPort: 29001))
    }

    func testLoopbackOnlyScenariosAreMarkedAndTheRequiredOnesAreNot() {
        let marked = Set(Scenario.catalog.filter { $0.loopbackOnly != nil }.map(\.name))
        XCTAssertEqual(marked, ["p2p-connection-flood", "batch-flood", "gossip-flood", "fuzz", "slow-rpc-clients", "slow-rpc-botnet"])
        for name in ["crash-primary", "partition-primary", "equivocate-primary", "full-node-killed", "full-node-client-crash"] {
            XCTAssertNotNil(Scenario.catalog.first { $0.name == name && $0.loopbackOnly == nil }, name)
        }
    }
}
