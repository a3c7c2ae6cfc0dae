import Foundation
import FrameMarkCore
import GRDB

/// One issued message: the file it was put into, how, and how far that got.
public struct Asset: Sendable, Equatable {
    public enum Status: String, Sendable { case pending, done, failed }

    public var id: Int64
    public var message: Message
    public var inputPath: String
    public var inputSHA256: String
    public var outputPath: String
    public var outputSHA256: String?
    /// `WatermarkKey.fingerprint` of the key it was marked with (never the key).
    public var keyFingerprint: String
    public var strength: Double
    /// The embedding settings as JSON (grid, preset, CRF, quality…).
    public var settings: String
    public var toolVersion: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var status: Status
    public var error: String?
    /// Free columns from the caller's list (asset id, model, prompt id…), as a JSON object.
    public var metadata: String
}

/// What a file is to be marked with: everything an `Asset` records before the marking starts.
public struct AssetRequest: Sendable {
    public var inputPath: String
    public var inputSHA256: String
    public var outputPath: String
    public var keyFingerprint: String
    public var strength: Double
    public var settings: String
    public var toolVersion: String
    /// A message the caller chose (from its list); nil to draw one at random.
    public var message: Message?
    public var metadata: String

    public init(inputPath: String, inputSHA256: String, outputPath: String, keyFingerprint: String, strength: Double,
                settings: String, toolVersion: String, message: Message? = nil, metadata: String = "{}") {
        self.inputPath = inputPath
        self.inputSHA256 = inputSHA256
        self.outputPath = outputPath
        self.keyFingerprint = keyFingerprint
        self.strength = strength
        self.settings = settings
        self.toolVersion = toolVersion
        self.message = message
        self.metadata = metadata
    }
}

public enum RegistryError: Error, CustomStringConvertible {
    /// The message asked for was issued before, for another output.
    case messageTaken(Message, outputPath: String)
    /// The output was reserved before with another message than the one asked for.
    case outputReserved(String, message: Message)
    /// The registry's database could not be opened or set up.
    case cannotOpen(String, reason: String)
    /// A query failed (the server went away, say).
    case query(String, reason: String)

    public var description: String {
        switch self {
        case .messageTaken(let m, let path): "message \(m.hex) was already issued (for \(path)): messages are never issued twice"
        case .outputReserved(let path, let m): "\(path) was already reserved with message \(m.hex)"
        case .cannotOpen(let path, let reason): "\(path): cannot open the registry (\(reason))"
        case .query(let path, let reason): "\(path): the registry failed (\(reason))"
        }
    }
}

/// The registry of issued messages, in one SQLite file (WAL: one writer, readers alongside).
public final class SQLiteAssetRegistry: AssetRegistry {
    private let database: DatabasePool

    /// Opens the registry at `path`, creating it (and its table) when absent.
    public init(path: String) throws {
        do {
            database = try DatabasePool(path: path)
            try Self.migrator.migrate(database)
        } catch {
            throw RegistryError.cannotOpen(path, reason: (error as? DatabaseError)?.message ?? "\(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("assets") { db in
            try db.create(table: "asset") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("message", .text).notNull().unique()
                t.column("input_path", .text).notNull()
                t.column("input_sha256", .text).notNull()
                t.column("output_path", .text).notNull().unique()
                t.column("output_sha256", .text)
                t.column("key_fingerprint", .text).notNull()
                t.column("strength", .double).notNull()
                t.column("settings", .text).notNull()
                t.column("tool_version", .text).notNull()
                t.column("started_at", .datetime).notNull()
                t.column("finished_at", .datetime)
                t.column("status", .text).notNull().check { ["pending", "done", "failed"].contains($0) }
                t.column("error", .text)
                t.column("metadata", .text).notNull()
            }
        }
        return migrator
    }

    public func reserve(_ request: AssetRequest) throws -> Asset {
        try database.write { db in
            if let row = try Row.fetchOne(db, sql: "SELECT \(Self.columns) FROM asset WHERE output_path = ?", arguments: [request.outputPath]) {
                let existing = try Self.asset(row)
                if let wanted = request.message, wanted != existing.message {
                    throw RegistryError.outputReserved(request.outputPath, message: existing.message)
                }
                return existing
            }
            var generator = SystemRandomNumberGenerator()
            while true {
                let message = request.message ?? Message(generator.next())
                if let taken = try String.fetchOne(db, sql: "SELECT output_path FROM asset WHERE message = ?", arguments: [message.hex]) {
                    if request.message != nil { throw RegistryError.messageTaken(message, outputPath: taken) }
                    continue
                }
                try db.execute(sql: """
                    INSERT INTO asset (message, input_path, input_sha256, output_path, key_fingerprint, strength, settings,
                                       tool_version, started_at, status, metadata)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)
                    """, arguments: [message.hex, request.inputPath, request.inputSHA256, request.outputPath, request.keyFingerprint,
                                     request.strength, request.settings, request.toolVersion, Date(), request.metadata])
                let id = db.lastInsertedRowID
                return try Self.asset(try Row.fetchOne(db, sql: "SELECT \(Self.columns) FROM asset WHERE id = ?", arguments: [id])!)
            }
        }
    }

    public func asset(outputPath: String) throws -> Asset? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.columns) FROM asset WHERE output_path = ?", arguments: [outputPath]).map(Self.asset)
        }
    }

    public func begin(_ id: Int64, inputSHA256: String) throws {
        try database.write { db in
            try db.execute(sql: """
                UPDATE asset SET status = 'pending', input_sha256 = ?, started_at = ?, finished_at = NULL, output_sha256 = NULL, error = NULL
                WHERE id = ?
                """, arguments: [inputSHA256, Date(), id])
        }
    }

    public func finish(_ id: Int64, outputSHA256: String) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE asset SET status = 'done', output_sha256 = ?, finished_at = ?, error = NULL WHERE id = ?",
                           arguments: [outputSHA256, Date(), id])
        }
    }

    public func fail(_ id: Int64, error: String) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE asset SET status = 'failed', error = ?, finished_at = ? WHERE id = ?", arguments: [error, Date(), id])
        }
    }

    public func asset(message: Message) throws -> Asset? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.columns) FROM asset WHERE message = ?", arguments: [message.hex]).map(Self.asset)
        }
    }

    public func assets() throws -> [Asset] {
        try database.read { db in try Row.fetchAll(db, sql: "SELECT \(Self.columns) FROM asset ORDER BY id").map(Self.asset) }
    }

    public func forEachAsset(status: Asset.Status?, _ body: (Asset) throws -> Void) throws {
        try database.read { db in
            let rows = if let status {
                try Row.fetchCursor(db, sql: "SELECT \(Self.columns) FROM asset WHERE status = ? ORDER BY id", arguments: [status.rawValue])
            } else {
                try Row.fetchCursor(db, sql: "SELECT \(Self.columns) FROM asset ORDER BY id")
            }
            while let row = try rows.next() { try body(try Self.asset(row)) }
        }
    }

    static let columns = "id, message, input_path, input_sha256, output_path, output_sha256, key_fingerprint, strength, settings, tool_version, started_at, finished_at, status, error, metadata"

    /// A row of `columns`, read by position (by name, each lookup compares names without case:
    /// most of an export's time).
    private static func asset(_ row: Row) throws -> Asset {
        Asset(id: row[0], message: try Message(hex: row[1]), inputPath: row[2], inputSHA256: row[3],
              outputPath: row[4], outputSHA256: row[5], keyFingerprint: row[6],
              strength: row[7], settings: row[8], toolVersion: row[9], startedAt: row[10],
              finishedAt: row[11], status: Asset.Status(rawValue: row[12]) ?? .failed, error: row[13],
              metadata: row[14])
    }
}
