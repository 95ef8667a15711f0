import Foundation
import Wallet

/// What a node had sent to its peers at one moment, from its `/metrics` (`ledger_p2p_frames_out`,
/// `ledger_p2p_bytes_out`): the difference of two samples is the traffic between them.
struct TrafficSample: Sendable {
    var at: Date
    var framesOut: Double
    var bytesOut: Double

    /// Scrapes `http://127.0.0.1:port/metrics`; `nil` when the node does not answer in time or
    /// lacks the counters.
    static func scrape(rpcPort port: Int, timeout: Double = 2) async -> TrafficSample? {
        guard let client = try? RPCClient(url: "http://127.0.0.1:\(port)/metrics"),
              let answer = try? await client.get(timeoutMs: Int64(timeout * 1_000)), answer.status == 200 else { return nil }
        var frames: Double?
        var bytes: Double?
        for line in String(decoding: answer.body, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard parts.count >= 2, let value = Double(parts[1]) else { continue }
            if parts[0] == "ledger_p2p_frames_out" { frames = value }
            if parts[0] == "ledger_p2p_bytes_out" { bytes = value }
        }
        guard let frames, let bytes else { return nil }
        return TrafficSample(at: Date(), framesOut: frames, bytesOut: bytes)
    }

    /// Frames and bytes per second from `earlier` to this sample.
    func rates(since earlier: TrafficSample) -> (frames: Double, bytes: Double) {
        let seconds = max(at.timeIntervalSince(earlier.at), 0.001)
        return ((framesOut - earlier.framesOut) / seconds, (bytesOut - earlier.bytesOut) / seconds)
    }
}
