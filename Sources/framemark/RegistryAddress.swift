import Foundation
import FrameMarkRegistry

/// A registry named on the command line: a `postgres://` address, or an SQLite file.
enum RegistryAddress {
    static func isPostgres(_ address: String) -> Bool { address.hasPrefix("postgres://") || address.hasPrefix("postgresql://") }

    /// Opens it; an SQLite file must exist unless `create` (batch makes it, lookups never do).
    static func open(_ address: String, create: Bool = false) throws -> any AssetRegistry {
        if isPostgres(address) { return try PostgresAssetRegistry(url: address) }
        guard create || FileManager.default.fileExists(atPath: address) else { throw CLIError("\(address): no such registry") }
        return try SQLiteAssetRegistry(path: address)
    }
}
