// Test support: a line-format checker for Prometheus text exposition (0.0.4), shared by the RPC unit tests and the live-node tests of /metrics.
import Foundation

/// A small checker of the Prometheus text format (version 0.0.4): comment lines, `name{labels} value` samples,
/// metric names and label syntax, numeric values, and TYPE lines naming known types. Returns the problems found.
public enum PrometheusTextCheck {
    /// The problems found in `text`, one per bad line ("line N: …"); empty when every line is well formed.
    public static func problems(_ text: String) -> [String] {
        var problems: [String] = []
        let namePattern = try! NSRegularExpression(pattern: #"^[a-zA-Z_:][a-zA-Z0-9_:]*$"#)
        func isName(_ s: Substring) -> Bool {
            namePattern.firstMatch(in: String(s), range: NSRange(location: 0, length: s.utf16.count)) != nil
        }
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3)
                if parts.count >= 2, parts[1] == "TYPE" {
                    guard parts.count == 4, isName(parts[2]),
                          ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else {
                        problems.append("line \(n + 1): bad TYPE line: \(line)"); continue
                    }
                }
                continue
            }
            var rest = Substring(line)
            let nameEnd = rest.firstIndex { $0 == "{" || $0 == " " } ?? rest.endIndex
            guard isName(rest[..<nameEnd]) else { problems.append("line \(n + 1): bad metric name: \(line)"); continue }
            rest = rest[nameEnd...]
            if rest.hasPrefix("{") {
                guard let close = rest.firstIndex(of: "}") else { problems.append("line \(n + 1): unclosed labels"); continue }
                let labels = rest[rest.index(after: rest.startIndex)..<close]
                if !labels.isEmpty {
                    for pair in labels.split(separator: ",") {
                        let kv = pair.split(separator: "=", maxSplits: 1)
                        guard kv.count == 2, isName(kv[0]), kv[1].hasPrefix("\""), kv[1].hasSuffix("\""), kv[1].count >= 2 else {
                            problems.append("line \(n + 1): bad label \(pair)"); continue
                        }
                    }
                }
                rest = rest[rest.index(after: close)...]
            }
            let fields = rest.split(separator: " ")
            guard (1...2).contains(fields.count), Double(fields[0]) != nil || ["+Inf", "-Inf", "NaN"].contains(String(fields[0])) else {
                problems.append("line \(n + 1): bad sample value: \(line)"); continue
            }
        }
        return problems
    }

    /// The value of the sample `name{labels}` exactly as written (labels in rendering order), if present.
    public static func value(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.split(separator: " ").last ?? "")
        }
        return nil
    }
}
