#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Wallet

/// Gets the keystore passphrase: `LEDGER_PASSPHRASE`, else a prompt on the terminal with echo off.
enum Passphrase {
    /// The passphrase bytes. `confirm` asks twice (for a new key). Fails clearly when there is no terminal.
    static func obtain(prompt: String, confirm: Bool, environment: [String: String]) throws(KeystoreError) -> [UInt8] {
        if let env = environment["LEDGER_PASSPHRASE"] {
            guard !env.isEmpty else { throw .emptyPassphrase }
            return Array(env.utf8)
        }
        guard isatty(STDIN_FILENO) == 1 else { throw .noPassphraseSource }
        let first = try readHidden(prompt: prompt)
        guard !first.isEmpty else { throw .emptyPassphrase }
        if confirm {
            let second = try readHidden(prompt: "Repeat the passphrase: ")
            guard second == first else { throw .passphraseMismatch }
        }
        return first
    }

    /// Reads one line from the terminal on stdin without echo; the prompt goes to stderr.
    private static func readHidden(prompt: String) throws(KeystoreError) -> [UInt8] {
        Terminal.writeError(prompt)
        var saved = termios()
        let haveTerminal = tcgetattr(STDIN_FILENO, &saved) == 0
        if haveTerminal {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            quiet.c_lflag |= tcflag_t(ICANON)
            _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
        }
        defer {
            if haveTerminal { _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved) }
            Terminal.writeError("\n")
        }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let n = read(STDIN_FILENO, &byte, 1)
            if n < 0, errno == EINTR { continue }
            if n <= 0 || byte == 0x0A { break }
            if byte == 0x0D { continue }
            line.append(byte)
            if line.count > WalletLimits.passphraseMaxBytes { break }
        }
        return line
    }
}

/// Small helpers for the terminal-facing output of the executable.
enum Terminal {
    /// Writes `text` to stderr unbuffered.
    static func writeError(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    /// `true` if stderr is a terminal (progress lines are only drawn there).
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// `true` if stdin is a terminal.
    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }
}
