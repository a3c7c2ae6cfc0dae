import FrameMarkCore

/// Where issued messages are recorded: one row per output, made before its file is marked.
///
/// A message is written, unique by a database constraint, before its file is marked, and it
/// stays with that output for good: a batch run again after a crash finds the pending row and
/// marks the file with the same message, and no message is ever issued twice. `SQLiteAssetRegistry`
/// keeps it in one file beside the outputs.
public protocol AssetRegistry: Sendable {
    /// The row for `request.outputPath`: the one reserved before (its message kept), or a new
    /// pending one with the requested message or one drawn at random from the 64-bit space.
    /// Throws `RegistryError` when the requested message is taken or the output has another.
    func reserve(_ request: AssetRequest) throws -> Asset
    /// Marks a reserved asset pending again before its file is (re)marked: a run that stopped
    /// half way, a failed attempt, or an output that no longer matches its recorded hash.
    func begin(_ id: Int64, inputSHA256: String) throws
    /// Records that the asset's output was written whole, with its hash.
    func finish(_ id: Int64, outputSHA256: String) throws
    /// Records that marking the asset failed, and why (its message stays with it).
    func fail(_ id: Int64, error: String) throws
    /// The asset a detected message belongs to.
    func asset(message: Message) throws -> Asset?
    /// The asset reserved for an output.
    func asset(outputPath: String) throws -> Asset?
    /// Every asset, in the order they were reserved.
    func assets() throws -> [Asset]
    /// Every asset (or those with `status`), in the order they were reserved, one at a time:
    /// a registry of any size is exported without holding it.
    func forEachAsset(status: Asset.Status?, _ body: (Asset) throws -> Void) throws
}
