import Foundation
import Wallet

/// What a node had sent to its peers at one moment, from its `/metrics` (`ledger_p2p_frames_out`,
/// `ledger_p2p_bytes_out`): the difference of two samples is the traffic between them.
struct TrafficSample: Sendable {
    var at: Date
    var framesOut: Double
    var bytesOut: Double

    /// Scrapes the `/metrics` of the node whose RPC is `client`; `nil` when the node does not answer in time or
    /// lacks the counters.
    static func scrape(_ client: RPCClient, timeout: Double = 2) async -> TrafficSample? {
        let values = await client.metrics(["ledger_p2p_frames_out", "ledger_p2p_bytes_out"], timeout: timeout)
        guard let frames = values?["ledger_p2p_frames_out"], let bytes = values?["ledger_p2p_bytes_out"] else { return nil }
        return TrafficSample(at: Date(), framesOut: frames, bytesOut: bytes)
    }

    /// Frames and bytes per second from `earlier` to this sample.
    func rates(since earlier: TrafficSample) -> (frames: Double, bytes: Double) {
        let seconds = max(at.timeIntervalSince(earlier.at), 0.001)
        return ((framesOut - earlier.framesOut) / seconds, (bytesOut - earlier.bytesOut) / seconds)
    }
}
