import ArgumentParser
import Dispatch
import Foundation
import LedgerJSON
import NIOCore
import NIOPosix
import Node

/// `ledger-adversarial link-proxy`: the link proxy as a standalone process, for a network of hosts
/// (`scripts/testnet up --netns`): every route delays both directions by the one-way delay.
struct LinkProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link-proxy",
        abstract: "Relay TCP routes with a one-way delay (and jitter) in both directions until SIGTERM/SIGINT.",
        discussion: """
            The routes file lists one route a line: LISTEN -> TARGET [name=NAME] [source=HOST] (host:port each; '#' starts \
            a comment). Every chunk waits --delay-ms plus a uniform 0…--jitter-ms, each direction, never overtaking the \
            chunk before it. Past 16 MiB queued in one direction of a connection the proxy stops reading that side until \
            half has drained (TCP flow control holds the sender back); a target that does not accept within 3 s closes \
            the connection (the sender redials). Per-route byte counters go to --stats-file (JSON, rewritten atomically \
            every --stats-interval-ms; first written once every listener is bound) and to standard output at shutdown.

            A bandwidth cap is not the proxy's job: scripts/testnet puts tbf on the hosts' veth links.
            """)

    /// Largest routes file read.
    static let maxRoutesFileBytes = 1 << 20

    @Option(help: "The routes file.") var routes: String
    @Option(name: .customLong("delay-ms"), help: "One-way delay of each direction, ms.") var delayMs: Int64 = 0
    @Option(name: .customLong("jitter-ms"), help: "Extra delay drawn uniformly in 0…J per chunk, ms (order kept).") var jitterMs: Int64 = 0
    @Option(name: .customLong("stats-file"), help: "Where to keep the per-route counters (JSON).") var statsFile: String?
    @Option(name: .customLong("stats-interval-ms"), help: "How often the stats file is rewritten.") var statsIntervalMs: Int = 1_000
    @Option(help: "Event-loop threads (routes are spread over them).") var threads: Int = 1
    @Option(help: "Seed of the jitter draws.") var seed: UInt64 = 1

    func validate() throws {
        guard (0...LinkProxy.maxDelayMs).contains(delayMs), (0...LinkProxy.maxDelayMs).contains(jitterMs) else {
            throw ValidationError("--delay-ms and --jitter-ms must be 0...\(LinkProxy.maxDelayMs)")
        }
        guard (50...60_000).contains(statsIntervalMs) else { throw ValidationError("--stats-interval-ms must be 50...60000") }
        guard (1...16).contains(threads) else { throw ValidationError("--threads must be 1...16") }
    }

    func run() async throws {
        guard let handle = FileHandle(forReadingAtPath: routes) else { throw ValidationError("cannot open routes file \(routes)") }
        let data = handle.readData(ofLength: Self.maxRoutesFileBytes + 1)
        try? handle.close()
        guard data.count <= Self.maxRoutesFileBytes else { throw ValidationError("\(routes) is over \(Self.maxRoutesFileBytes) bytes") }
        let parsed: [LinkRoute]
        do { parsed = try LinkRoute.parse(file: String(decoding: data, as: UTF8.self)) } catch { throw ValidationError("\(routes): \(error)") }

        // Signals first, so a SIGTERM during start-up is not lost.
        let signals = SignalWaiter()

        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        var proxies: [LinkProxy] = []
        for (index, route) in parsed.enumerated() {
            let proxy = LinkProxy(route: route, loop: group.next(), seed: seed &+ UInt64(index) &* 0x1_0000_0001)
            do {
                try await proxy.start()
            } catch {
                for p in proxies { await p.stop() }
                try? await group.shutdownGracefully()
                throw ValidationError("route \(route.name): cannot listen on \(route.listenHost):\(route.listenPort): \(error)")
            }
            await proxy.set(mode: .pass, delayMs: delayMs, jitterMs: jitterMs)
            proxies.append(proxy)
        }
        try await writeStats(proxies)
        say("link-proxy: \(proxies.count) route(s) up, delay \(delayMs) ms, jitter 0…\(jitterMs) ms; SIGTERM or SIGINT stops")

        let statsWriter = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(statsIntervalMs))
                if Task.isCancelled { break }
                try? await writeStats(proxies)
            }
        }
        let received = await signals.wait()
        statsWriter.cancel()
        _ = await statsWriter.result
        let final = await collect(proxies)
        for p in proxies { await p.stop() }
        try? await writeStats(proxies, counters: final)
        say("link-proxy: stopping on signal \(received)")
        say(Self.table(proxies.map(\.route), final))
        try? await group.shutdownGracefully()
    }

    private func collect(_ proxies: [LinkProxy]) async -> [LinkCounters] {
        var out: [LinkCounters] = []
        for p in proxies { out.append(await p.snapshot()) }
        return out
    }

    /// Rewrites the stats file (atomically: readers never see half a file).
    private func writeStats(_ proxies: [LinkProxy], counters given: [LinkCounters]? = nil) async throws {
        guard let statsFile else { return }
        let counters: [LinkCounters]
        if let given { counters = given } else { counters = await collect(proxies) }
        let json = Self.statsJSON(proxies.map(\.route), counters, delayMs: delayMs, jitterMs: jitterMs)
        try Data(json.serialized(pretty: true).utf8).write(to: URL(fileURLWithPath: statsFile), options: .atomic)
    }

    /// The stats file's content.
    static func statsJSON(_ routes: [LinkRoute], _ counters: [LinkCounters], delayMs: Int64, jitterMs: Int64) -> JSONValue {
        let rows: [JSONValue] = zip(routes, counters).map { route, c in
            .object([
                ("name", .string(route.name)),
                ("listen", .string("\(route.listenHost):\(route.listenPort)")),
                ("target", .string("\(route.targetHost):\(route.targetPort)")),
                ("bytes_forward", .uint(c.bytesForward)),
                ("bytes_back", .uint(c.bytesBack)),
                ("connections_accepted", .uint(c.accepted)),
                ("connect_failures", .uint(c.connectFailures)),
                ("connections_open", .int(c.open)),
            ])
        }
        return .object([
            ("delay_ms", .int(Int(delayMs))),
            ("jitter_ms", .int(Int(jitterMs))),
            ("updated_ms", .uint(UInt64(max(0, Date().timeIntervalSince1970 * 1000)))),
            ("routes", .array(rows)),
        ])
    }

    /// The counters as a table for the terminal.
    static func table(_ routes: [LinkRoute], _ counters: [LinkCounters]) -> String {
        func name(_ text: String) -> String { text.padding(toLength: max(24, text.count), withPad: " ", startingAt: 0) }
        var lines = [name("ROUTE") + "  BYTES_FORWARD     BYTES_BACK  ACCEPTED  FAILED"]
        for (route, c) in zip(routes, counters) {
            lines.append(name(route.name) + String(format: " %14llu %14llu %9llu %7llu", c.bytesForward, c.bytesBack, c.accepted, c.connectFailures))
        }
        return lines.joined(separator: "\n")
    }
}
