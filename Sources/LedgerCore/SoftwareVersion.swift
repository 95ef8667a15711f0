/// The version of this software: one string, shown by `ledger-node --version`, `wallet --version` and the
/// `status` RPC's `version` field.
public enum SoftwareVersion {
    /// The release this tree builds (semantic versioning). Deterministic: it does not depend on the checkout.
    public static let current = "0.9.0"
}
