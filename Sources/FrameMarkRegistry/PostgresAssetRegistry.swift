import Foundation
import FrameMarkCore
import PostgresNIO

/// The registry on a PostgreSQL server, for many machines marking into one registry and for a
/// shared queue of work (`WorkQueueRegistry`): a message is unique by the table's constraint,
/// rows are claimed with `SELECT … FOR UPDATE SKIP LOCKED` under a lease.
///
/// Its calls block the calling thread (batch marking runs on Dispatch threads, never on the
/// concurrency pool): each one runs as a task and is waited for.
public final class PostgresAssetRegistry: WorkQueueRegistry, @unchecked Sendable {
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let location: String

    /// Connects to `url` (`postgres://user:password@host:port/database`, `?sslmode=disable` or
    /// `require`; otherwise TLS when the server offers it) and creates the table when absent.
    public init(url: String) throws {
        let configuration = try Self.configuration(url)
        try Self.reachable(host: configuration.host ?? "localhost", port: configuration.port ?? 5432, url: url)
        client = PostgresClient(configuration: configuration, backgroundLogger: Self.quiet)
        let client = self.client
        runner = Task { await client.run() }
        location = Self.redacted(url)
        do {
            try blocking(timeout: .seconds(15)) { [client] in
                try await client.withTransaction(logger: Self.quiet) { db in
                    // Two workers starting together must not both create the table.
                    try await db.query("SELECT pg_advisory_xact_lock(72430001)", logger: Self.quiet)
                    try await db.query(Self.schema, logger: Self.quiet)
                    try await db.query("CREATE INDEX IF NOT EXISTS asset_queue ON asset (queue, id) WHERE status = 'pending'", logger: Self.quiet)
                }
            }
        } catch RegistryError.query(_, let reason) {
            runner.cancel()
            throw RegistryError.cannotOpen(location, reason: reason)
        } catch {
            runner.cancel()
            throw RegistryError.cannotOpen(location, reason: Self.reason(error))
        }
    }

    deinit { runner.cancel() }

    /// The driver's logs stay silent: errors come back as thrown errors, and a query's text or
    /// an address's password must never reach a log.
    static let quiet: Logger = {
        var logger = Logger(label: "framemark.registry")
        logger.logLevel = .critical
        return logger
    }()

    static let schema: PostgresQuery = """
        CREATE TABLE IF NOT EXISTS asset (
            id BIGSERIAL PRIMARY KEY,
            message TEXT NOT NULL UNIQUE,
            input_path TEXT NOT NULL,
            input_sha256 TEXT NOT NULL,
            output_path TEXT NOT NULL UNIQUE,
            output_sha256 TEXT,
            key_fingerprint TEXT NOT NULL,
            strength DOUBLE PRECISION NOT NULL,
            settings TEXT NOT NULL,
            tool_version TEXT NOT NULL,
            started_at TIMESTAMPTZ NOT NULL,
            finished_at TIMESTAMPTZ,
            status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
            error TEXT,
            metadata TEXT NOT NULL,
            queue TEXT,
            worker TEXT,
            lease_until TIMESTAMPTZ,
            claims INTEGER NOT NULL DEFAULT 0
        )
        """

    static let columns = "id, message, input_path, input_sha256, output_path, output_sha256, key_fingerprint, strength, settings, tool_version, started_at, finished_at, status, error, metadata"

    // MARK: AssetRegistry

    public func reserve(_ request: AssetRequest) throws -> Asset {
        try reserve(request, queue: nil)
    }

    public func begin(_ id: Int64, inputSHA256: String) throws {
        try execute("""
            UPDATE asset SET status = 'pending', input_sha256 = \(inputSHA256), started_at = now(), finished_at = NULL,
                output_sha256 = NULL, error = NULL WHERE id = \(id)
            """)
    }

    public func finish(_ id: Int64, outputSHA256: String) throws {
        try execute("""
            UPDATE asset SET status = 'done', output_sha256 = \(outputSHA256), finished_at = now(), error = NULL, lease_until = NULL
            WHERE id = \(id)
            """)
    }

    public func fail(_ id: Int64, error: String) throws {
        try execute("UPDATE asset SET status = 'failed', error = \(error), finished_at = now(), lease_until = NULL WHERE id = \(id)")
    }

    public func asset(message: Message) throws -> Asset? {
        try assets(PostgresQuery(unsafeSQL: "SELECT \(Self.columns) FROM asset WHERE message = $1", binds: try binds(message.hex))).first
    }

    public func asset(outputPath: String) throws -> Asset? {
        try assets(PostgresQuery(unsafeSQL: "SELECT \(Self.columns) FROM asset WHERE output_path = $1", binds: try binds(outputPath))).first
    }

    public func assets() throws -> [Asset] {
        try assets(PostgresQuery(unsafeSQL: "SELECT \(Self.columns) FROM asset ORDER BY id"))
    }

    public func forEachAsset(status: Asset.Status?, _ body: (Asset) throws -> Void) throws {
        // Pages of rows by id, so that a registry of any size is never held whole.
        var after: Int64 = 0
        while true {
            let page = try assets(status.map {
                PostgresQuery(unsafeSQL: "SELECT \(Self.columns) FROM asset WHERE id > $1 AND status = $2 ORDER BY id LIMIT 10000",
                              binds: try binds(after, $0.rawValue))
            } ?? PostgresQuery(unsafeSQL: "SELECT \(Self.columns) FROM asset WHERE id > $1 ORDER BY id LIMIT 10000", binds: try binds(after)))
            for asset in page { try body(asset) }
            guard let last = page.last else { return }
            after = last.id
        }
    }

    // MARK: WorkQueueRegistry

    public func enqueue(_ request: AssetRequest, queue: String) throws -> Asset {
        let asset = try reserve(request, queue: queue)
        if asset.status == .failed {
            try execute("UPDATE asset SET status = 'pending', error = NULL, queue = \(queue) WHERE id = \(asset.id) AND status = 'failed'")
            return try self.asset(outputPath: request.outputPath) ?? asset
        }
        return asset
    }

    public func claim(queue: String, worker: String, lease: Duration) throws -> Asset? {
        try assets(PostgresQuery(unsafeSQL: """
            UPDATE asset SET worker = $2, lease_until = now() + $3 * interval '1 millisecond', claims = claims + 1, started_at = now()
            WHERE id = (SELECT id FROM asset WHERE queue = $1 AND status = 'pending' AND (lease_until IS NULL OR lease_until < now())
                        ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING \(Self.columns)
            """, binds: try binds(queue, worker, Self.milliseconds(lease)))).first
    }

    public func renew(_ id: Int64, worker: String, lease: Duration) throws -> Bool {
        try blocking { [client] in
            let rows = try await client.query("""
                UPDATE asset SET lease_until = now() + \(Self.milliseconds(lease)) * interval '1 millisecond'
                WHERE id = \(id) AND worker = \(worker) AND status = 'pending' RETURNING id
                """, logger: Self.quiet)
            var count = 0
            for try await _ in rows { count += 1 }
            return count > 0
        }
    }

    public func pendingCount(queue: String) throws -> Int {
        try scalar("SELECT count(*)::BIGINT FROM asset WHERE queue = \(queue) AND status = 'pending'")
    }

    public func claims(_ id: Int64) throws -> Int {
        try scalar("SELECT claims::BIGINT FROM asset WHERE id = \(id)")
    }

    // MARK: Steps

    private func reserve(_ request: AssetRequest, queue: String?) throws -> Asset {
        var generator = SystemRandomNumberGenerator()
        while true {
            if let existing = try asset(outputPath: request.outputPath) {
                if let wanted = request.message, wanted != existing.message {
                    throw RegistryError.outputReserved(request.outputPath, message: existing.message)
                }
                return existing
            }
            let message = request.message ?? Message(generator.next())
            // Either constraint may refuse the row: another worker reserved this output first
            // (found above on the next pass), or the message was issued before.
            let inserted = try assets(PostgresQuery(unsafeSQL: """
                INSERT INTO asset (message, input_path, input_sha256, output_path, key_fingerprint, strength, settings, tool_version,
                                   started_at, status, metadata, queue)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now(), 'pending', $9, $10)
                ON CONFLICT DO NOTHING RETURNING \(Self.columns)
                """, binds: try binds(message.hex, request.inputPath, request.inputSHA256, request.outputPath, request.keyFingerprint,
                                  request.strength, request.settings, request.toolVersion, request.metadata, queue)))
            if let row = inserted.first { return row }
            if try asset(outputPath: request.outputPath) != nil { continue }
            if let taken = try asset(message: message), request.message != nil {
                throw RegistryError.messageTaken(message, outputPath: taken.outputPath)
            }
        }
    }

    private func execute(_ query: PostgresQuery) throws {
        try blocking { [client] in _ = try await client.query(query, logger: Self.quiet).collect() }
    }

    private func scalar(_ query: PostgresQuery) throws -> Int {
        try blocking { [client] in
            for try await value in try await client.query(query, logger: Self.quiet).decode(Int64.self) { return Int(value) }
            return 0
        }
    }

    private func assets(_ query: PostgresQuery) throws -> [Asset] {
        try blocking { [client] in
            var out: [Asset] = []
            // By position (`columns`' order): by name, each value is a search of the row's columns.
            let rows = try await client.query(query, logger: Self.quiet)
            for try await r in rows.decode((Int64, String, String, String, String, String?, String, Double, String, String, Date, Date?,
                                            String, String?, String).self) {
                out.append(Asset(id: r.0, message: try Message(hex: r.1), inputPath: r.2, inputSHA256: r.3, outputPath: r.4, outputSHA256: r.5,
                                 keyFingerprint: r.6, strength: r.7, settings: r.8, toolVersion: r.9, startedAt: r.10, finishedAt: r.11,
                                 status: Asset.Status(rawValue: r.12) ?? .failed, error: r.13, metadata: r.14))
            }
            return out
        }
    }

    private func binds(_ values: (any PostgresEncodable & Sendable)?...) throws -> PostgresBindings {
        var b = PostgresBindings()
        for v in values { if let v { try b.append(v) } else { b.appendNull() } }
        return b
    }

    /// Runs `body` as a task and waits for it on this (non-concurrency-pool) thread; past
    /// `timeout` the task is cancelled and the call fails (a server that never answers: the
    /// pool would otherwise keep retrying its connection).
    private func blocking<T: Sendable>(timeout: Duration? = nil, _ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let task = Task {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            done.signal()
        }
        if let timeout {
            let seconds = Double(timeout.components.seconds)
            if done.wait(timeout: .now() + seconds) == .timedOut {
                task.cancel()
                done.wait()
                if case .failure = box.result {} else { return try box.result!.get() }
                throw RegistryError.query(location, reason: "no answer from the server in \(Int(seconds)) s")
            }
        } else {
            done.wait()
        }
        do { return try box.result!.get() } catch { throw RegistryError.query(location, reason: Self.reason(error)) }
    }

    /// Fails at once, with the system's reason, when nothing listens at the address: the
    /// connection pool would otherwise retry until the time-out.
    static func reachable(host: String, port: Int, url: String) throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw RegistryError.cannotOpen(redacted(url), reason: "cannot resolve \(host)")
        }
        defer { freeaddrinfo(list) }
        var reason = "cannot connect to \(host):\(port)"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let e = entry {
            let fd = socket(e.pointee.ai_family, e.pointee.ai_socktype, e.pointee.ai_protocol)
            if fd >= 0 {
                defer { close(fd) }
                if connect(fd, e.pointee.ai_addr, e.pointee.ai_addrlen) == 0 { return }
                reason = "cannot connect to \(host):\(port): \(String(cString: strerror(errno)))"
            }
            entry = e.pointee.ai_next
        }
        throw RegistryError.cannotOpen(redacted(url), reason: reason)
    }

    static func milliseconds(_ d: Duration) -> Int64 {
        d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
    }

    /// A server's message, not the whole error dump (which would include the query).
    static func reason(_ error: any Error) -> String {
        if let e = error as? PSQLError {
            if let message = e.serverInfo?[.message] { return message }
            return "\(e.code)" + (e.underlying.map { ": \($0)" } ?? "")
        }
        return "\(error)"
    }

    static func configuration(_ url: String) throws -> PostgresClient.Configuration {
        guard let parts = URLComponents(string: url), ["postgres", "postgresql"].contains(parts.scheme ?? ""), let host = parts.host, !host.isEmpty else {
            throw RegistryError.cannotOpen(redacted(url), reason: "not a postgres://user:password@host:port/database address")
        }
        let mode = parts.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        let tls: PostgresClient.Configuration.TLS = switch mode {
        case "disable": .disable
        case "require", "verify-ca", "verify-full": .require(.makeClientConfiguration())
        default: .prefer(.makeClientConfiguration())
        }
        let database = parts.path.count > 1 ? String(parts.path.dropFirst()) : nil
        var configuration = PostgresClient.Configuration(host: host, port: parts.port ?? 5432, username: parts.user ?? "postgres",
                                                         password: parts.password, database: database, tls: tls)
        configuration.options.maximumConnections = 4
        return configuration
    }

    /// The address with its password replaced, for messages.
    public static func redacted(_ url: String) -> String {
        guard var parts = URLComponents(string: url), parts.password != nil else { return url }
        parts.password = "***"
        return parts.string ?? url
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
