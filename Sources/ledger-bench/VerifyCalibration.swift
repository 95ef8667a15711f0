import CSodium
import Foundation
import LedgerCrypto

/// The machine's signature-checking budget, measured in the same run as the load: single-core Ed25519 verifications
/// per second with libsodium, and the throughput ceiling it implies when every validator on this machine checks
/// every transaction once (`cores × verify/s / validators`).
struct VerifyCalibration: Sendable {
    /// `crypto_sign_verify_detached` calls per second on one core (the faster of the rounds).
    var verifyPerSecond: Double
    /// Every round's rate, in the order measured (before the load, and after it).
    var rounds: [Double] = []
    /// Cores the node processes can use.
    var cores: Int
    /// Validators sharing them.
    var validators: Int

    /// The ceiling, tx/s: signature checks alone, no consensus, storage or RPC.
    var ceilingTps: Double { Double(cores) * verifyPerSecond / Double(max(1, validators)) }

    /// Verifies one signature over a transfer-sized message in a tight loop for `seconds`.
    static func measure(seconds: Double, validators: Int) -> VerifyCalibration {
        let key = try! SigningKey(seed: (0..<32).map { UInt8($0) })
        let message = [UInt8](repeating: 0x5a, count: 160)
        let signature = key.sign(message).bytes
        let publicKey = key.publicKey.bytes
        let rate = Stopwatch.rate(minimumSeconds: seconds, opsPerCall: 64) {
            for _ in 0..<64 {
                precondition(crypto_sign_verify_detached(signature, message, UInt64(message.count), publicKey) == 0)
            }
        }
        return VerifyCalibration(verifyPerSecond: rate, rounds: [rate], cores: ProcessInfo.processInfo.activeProcessorCount,
                                 validators: validators)
    }

    /// This calibration with another round (measured after the load): the ceiling uses the faster
    /// one. On a shared machine a round that lands on a busy moment reads low, and a low ceiling
    /// would flatter the ratio; the faster round is the conservative choice.
    func adding(_ other: VerifyCalibration) -> VerifyCalibration {
        var c = self
        c.rounds += other.rounds
        c.verifyPerSecond = c.rounds.max() ?? verifyPerSecond
        return c
    }
}
