import Crypto
import Foundation
import GRDB

/// One access token's record: never the token itself, only its SHA-256.
public struct AccessToken: Sendable, Equatable {
    public var name: String
    /// Requests allowed per minute.
    public var ratePerMinute: Int
    public var createdAt: Date
    public var revokedAt: Date?
}

/// The service's bearer tokens, stored hashed in an SQLite file (`framemark token` manages it).
public final class TokenStore: Sendable {
    private let database: DatabasePool

    public init(path: String) throws {
        do {
            database = try DatabasePool(path: path)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("tokens") { db in
                try db.create(table: "token") { t in
                    t.column("name", .text).primaryKey()
                    t.column("sha256", .text).notNull().unique()
                    t.column("rate_per_minute", .integer).notNull()
                    t.column("created_at", .datetime).notNull()
                    t.column("revoked_at", .datetime)
                }
            }
            try migrator.migrate(database)
        } catch {
            throw ServiceError("\(path): cannot open the token store (\((error as? DatabaseError)?.message ?? "\(error)"))")
        }
    }

    /// Makes a token named `name` and returns it: the only time it is ever shown.
    public func create(name: String, ratePerMinute: Int) throws -> String {
        guard !name.isEmpty, name.count <= 100 else { throw ServiceError("a token's name must be 1–100 characters") }
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = generator.next() }
        let token = "fm_" + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        do {
            try database.write { db in
                try db.execute(sql: "INSERT INTO token (name, sha256, rate_per_minute, created_at) VALUES (?, ?, ?, ?)",
                               arguments: [name, Self.hash(token), ratePerMinute, Date()])
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw ServiceError("a token named \(name) exists already")
        }
        return token
    }

    /// Revokes the token named `name`; false when there is none (or it was revoked before).
    public func revoke(name: String) throws -> Bool {
        try database.write { db in
            try db.execute(sql: "UPDATE token SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", arguments: [Date(), name])
            return db.changesCount > 0
        }
    }

    public func list() throws -> [AccessToken] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM token ORDER BY created_at").map(Self.token)
        }
    }

    /// The record of a presented token, or nil for one never issued.
    public func lookup(_ token: String) throws -> AccessToken? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM token WHERE sha256 = ?", arguments: [Self.hash(token)]).map(Self.token)
        }
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    private static func token(_ row: Row) -> AccessToken {
        AccessToken(name: row["name"], ratePerMinute: row["rate_per_minute"], createdAt: row["created_at"], revokedAt: row["revoked_at"])
    }
}

/// A service error with a message for the log or the command line.
public struct ServiceError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
