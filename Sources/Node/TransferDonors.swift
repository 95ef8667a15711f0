import LedgerCore
import LedgerCrypto
import PBFT

/// Which peer to ask for the next block range: validators that vouched for the target first
/// (they hold the blocks), connected ones preferred, round robin; a donor whose range was
/// refused is skipped for the rest of the transfer, unless every candidate has been refused
/// (then the record is cleared: the fault may have been ours or passing).
struct TransferDonors {
    /// Donors that served a range this transfer refused (at most the validator count).
    private(set) var suspects: Set<ReplicaID> = []
    /// Ranges refused this transfer.
    private(set) var refusals = 0
    private var turn = 0

    /// The next donor. `vouching`: signers of the target's checkpoints; `connected`: peers with
    /// a live outbound link; `everyone`: every other validator (used when none vouched).
    mutating func next(vouching: [ReplicaID], connected: Set<ReplicaID>, everyone: [ReplicaID]) -> ReplicaID? {
        var candidates = vouching.filter { connected.contains($0) } + vouching
        if candidates.isEmpty { candidates = everyone }
        if candidates.isEmpty { return nil }
        var usable = candidates.filter { !suspects.contains($0) }
        if usable.isEmpty {
            suspects.removeAll()
            usable = candidates
        }
        turn &+= 1
        return usable[turn % usable.count]
    }

    /// Notes that `donor` served a range that was refused.
    mutating func refused(_ donor: ReplicaID) {
        refusals += 1
        suspects.insert(donor)
    }

    /// Forgets the suspects and counters (a new transfer starts).
    mutating func reset() {
        suspects.removeAll()
        refusals = 0
    }
}
