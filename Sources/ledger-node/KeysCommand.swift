import ArgumentParser
import Foundation
import LedgerCore
import Node

/// `ledger-node keys show`: the public key and address of a home's key (never the seed).
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the validator key of a home.", subcommands: [Show.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the validator's public key (never the seed).")
        @Option(help: "The node home.") var home: String
        func run() throws {
            do {
                let config = try NodeConfig.load(path: (home as NSString).appendingPathComponent(NodeHome.configFileName))
                let key = try NodeKey.load(path: NodeFiles.resolve(config.keyFile, home: home))
                print("public_key: \(key.signingKey.publicKey.hex)")
                print("address:    \(Address(publicKey: key.signingKey.publicKey))")
            } catch {
                fail("\(error)")
            }
        }
    }
}
