import LedgerCore
import LedgerCrypto

/// A signed transfer ready to submit, as plain values.
public struct SignedTransfer: Equatable, Sendable {
    /// `Transaction.encoded()`.
    public var bytes: [UInt8]
    /// Its hash (hex).
    public var hash: String
    /// Sender address.
    public var sender: String
    /// Recipient address.
    public var recipient: String
    /// Amount.
    public var amount: UInt64
    /// Nonce used.
    public var nonce: UInt64

    /// Unlocks `keyFile` with `passphrase` and signs a transfer (synchronous: keys and digests stay out of async frames).
    public static func make(
        keyFile: KeyFile, path: String, passphrase: [UInt8], chainID: String, recipient: String, amount: UInt64, nonce: UInt64,
        memo: [UInt8]
    ) throws -> SignedTransfer {
        let key = try keyFile.unlock(passphrase: passphrase, path: path)
        let to: Address
        do { to = try Address(string: recipient) } catch { throw WalletError.invalidAddress(recipient, error) }
        let tx: Transaction
        do {
            tx = try Transaction.signed(chainID: chainID, sender: key, recipient: to, amount: amount, nonce: nonce, memo: memo)
        } catch {
            throw WalletError.usage("cannot build the transaction: \(error)")
        }
        return SignedTransfer(
            bytes: tx.encoded(), hash: tx.hash.hex, sender: Address(publicKey: tx.sender).string, recipient: to.string,
            amount: amount, nonce: nonce)
    }
}
