import Foundation
import FrameMarkCore
import FrameMarkRegistry

/// `detect --registry`: the asset record of the message read, for the output and the report.
struct AssetLookup {
    let registry: any AssetRegistry
    let path: String

    init(path: String) throws {
        registry = try RegistryAddress.open(path)
        self.path = RegistryAddress.isPostgres(path) ? "the PostgreSQL registry" : path
    }

    func asset(for message: Message?) throws -> Asset? {
        try message.flatMap { try registry.asset(message: $0) }
    }

    /// The `asset` field of `detect --json`: the record, or null when no message was read or it
    /// is not in the registry.
    func json(_ asset: Asset?) -> Any { asset.map(AssetExport.object) ?? NSNull() }

    func line(_ asset: Asset?) -> String {
        guard let asset else { return "not in the registry \(path)" }
        return "\(asset.outputPath) (\(asset.status.rawValue), from \(asset.inputPath))" + (asset.metadata == "{}" ? "" : " \(asset.metadata)")
    }
}
