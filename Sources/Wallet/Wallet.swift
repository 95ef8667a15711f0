/// The wallet library: encrypted keystore, JSON-RPC client and the commands behind `wallet`.
public enum WalletLibrary {}
