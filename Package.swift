// swift-tools-version: 6.1
// The package of the BFT ledger node. Target layout and allowed imports follow docs/architecture.md §1 (checked by scripts/check-layering).
import PackageDescription

/// Release builds specialise generic code across module boundaries (the PBFT replica is generic
/// over its batch type; without this the simulator spends ~9 % in generic metadata look-ups).
let crossModule: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
    name: "bft-ledger",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ledger-sim", targets: ["ledger-sim"]),
        .executable(name: "ledger-bench", targets: ["ledger-bench"]),
        .executable(name: "ledger-node", targets: ["ledger-node"]),
        .executable(name: "wallet", targets: ["wallet"]),
        .executable(name: "ledger-adversarial", targets: ["ledger-adversarial"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // System libraries (installed by scripts/setup).
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),

        // Libraries.
        .target(name: "LedgerCrypto", dependencies: ["CSodium"], swiftSettings: crossModule),
        .target(name: "LedgerCore", dependencies: ["LedgerCrypto"], swiftSettings: crossModule),
        .target(name: "LedgerJSON", swiftSettings: crossModule),
        .target(name: "LedgerStore", dependencies: ["LedgerCore", "LedgerCrypto", "CSQLite"]),
        .target(
            name: "P2P",
            dependencies: [
                "LedgerCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "PBFT", dependencies: ["LedgerCrypto", "LedgerCore"], swiftSettings: crossModule),
        .target(
            name: "RPC",
            dependencies: [
                "LedgerCore", "LedgerCrypto", "LedgerJSON",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Wallet",
            dependencies: [
                "LedgerCrypto", "LedgerCore", "LedgerJSON", "PBFT",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "Node",
            dependencies: [
                "LedgerCrypto", "LedgerCore", "LedgerStore", "PBFT", "P2P", "RPC",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "Adversary", dependencies: ["PBFT", "LedgerCore", "LedgerCrypto"], swiftSettings: crossModule),
        .target(name: "BenchSupport"),
        .target(name: "Simulation", dependencies: ["PBFT", "Adversary", "LedgerCore", "LedgerCrypto"], swiftSettings: crossModule),

        // Executables.
        .executableTarget(
            name: "ledger-sim",
            dependencies: [
                "Simulation", "LedgerCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "ledger-node",
            dependencies: [
                "Node", "Wallet", "Adversary", "LedgerJSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "wallet",
            dependencies: [
                "Wallet", "LedgerCore", "LedgerCrypto", "LedgerJSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "ledger-bench",
            dependencies: [
                "CSodium", "LedgerCrypto", "LedgerCore", "LedgerJSON", "LedgerStore", "BenchSupport", "Node", "Wallet",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),

        .executableTarget(
            name: "ledger-adversarial",
            dependencies: [
                "LedgerCore", "LedgerCrypto", "LedgerJSON", "PBFT", "Adversary", "Node", "P2P", "CSQLite", "Wallet", "BenchSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Test support shared by the test targets: bounded waits, the Prometheus text checker and a log capture
        // (imports XCTest).
        .target(name: "TestSupport", dependencies: [.product(name: "Logging", package: "swift-log")], path: "Tests/TestSupport"),
        // The PBFT tests' deliberately insecure signature scheme (kept out of the PBFT module).
        .target(name: "PBFTTestSupport", dependencies: ["PBFT", "LedgerCore", "LedgerCrypto"], path: "Tests/PBFTTestSupport"),

        // Tests mirror the source targets.
        .testTarget(name: "TestSupportTests", dependencies: ["TestSupport"]),
        .testTarget(name: "LedgerCryptoTests", dependencies: ["LedgerCrypto"]),
        .testTarget(name: "LedgerCoreTests", dependencies: ["LedgerCore", "LedgerCrypto"]),
        .testTarget(name: "LedgerJSONTests", dependencies: ["LedgerJSON"]),
        .testTarget(name: "LedgerStoreTests", dependencies: ["LedgerStore", "LedgerCore", "LedgerCrypto", "TestSupport"]),
        .testTarget(
            name: "P2PTests",
            dependencies: [
                "P2P", "LedgerCrypto", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "NodeTests",
            dependencies: ["Node", "RPC", "P2P", "PBFT", "LedgerStore", "LedgerCore", "LedgerCrypto", "TestSupport"]
        ),
        .testTarget(
            name: "RPCTests",
            dependencies: ["RPC", "Node", "Wallet", "LedgerCore", "LedgerCrypto", "LedgerJSON", "TestSupport"]
        ),
        .testTarget(name: "WalletTests", dependencies: ["Wallet", "PBFT", "LedgerCore", "LedgerCrypto", "LedgerJSON", "TestSupport"]),
        .testTarget(name: "PBFTTests", dependencies: ["PBFT", "PBFTTestSupport", "LedgerCore", "LedgerCrypto"]),
        .testTarget(name: "BenchSupportTests", dependencies: ["BenchSupport"]),
        .testTarget(
            name: "LedgerAdversarialTests",
            dependencies: [
                "ledger-adversarial", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "SimulationTests", dependencies: ["Simulation", "Adversary", "PBFT", "LedgerCore", "LedgerCrypto"]),
    ],
    swiftLanguageModes: [.v6]
)
