/// Which RPC hosts the load generator may send to: only this machine's own. That is loopback, and the
/// benchmarking range 198.18.0.0/15 (RFC 2544) that `scripts/testnet up --netns` gives the network namespaces
/// it creates on this machine (docs/network.md, "Several hosts on one machine").
public enum BenchHost {
    /// Whether `host` (a name or dotted IPv4 address, as written in a nodes file) is on this machine.
    public static func isOnThisMachine(_ host: String) -> Bool {
        if host == "localhost" { return true }
        guard let octets = ipv4Octets(host) else { return false }
        return octets[0] == 127 || (octets[0] == 198 && (octets[1] == 18 || octets[1] == 19))
    }

    /// The four octets of a dotted-decimal IPv4 address (each 0…255, no leading zeros), nil for anything else.
    static func ipv4Octets(_ text: String) -> [Int]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [Int] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  part.count == 1 || part.first != "0", let value = Int(part), value <= 255 else { return nil }
            octets.append(value)
        }
        return octets
    }
}
