import Foundation

/// Output files still being written: named beside their output, so that an interrupt (Ctrl-C)
/// can remove them and a run after a crash (`kill -9`, power loss) can find what one left.
public final class TemporaryFiles: @unchecked Sendable {
    public static let shared = TemporaryFiles()
    private let lock = NSLock()
    private var paths = Set<String>()

    func add(_ path: String) { lock.withLock { _ = paths.insert(path) } }
    func remove(_ path: String) { lock.withLock { _ = paths.remove(path) } }

    /// Deletes every file still registered; safe to call from a signal source's handler.
    public func removeAll() {
        let current = lock.withLock { paths }
        for path in current { unlink(path) }
    }

    /// A new temporary name beside `output`: hidden, and carrying the writer's process id so
    /// that `removeStale(beside:)` can tell a dead writer's file from a live one's.
    static func name(beside output: String) -> String {
        let url = URL(fileURLWithPath: output)
        return url.deletingLastPathComponent().path + "/." + url.lastPathComponent
            + ".framemark-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
    }

    /// Removes the temporary files beside `output` left by writers that are no longer running on
    /// this machine (a run killed before it could clean up); returns how many it removed.
    @discardableResult
    public static func removeStale(beside output: String) -> Int {
        let url = URL(fileURLWithPath: output)
        let folder = url.deletingLastPathComponent().path
        let prefix = "." + url.lastPathComponent + ".framemark-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return 0 }
        var removed = 0
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".tmp") {
            let fields = name.dropFirst(prefix.count).split(separator: "-")
            guard let pid = fields.first.flatMap({ pid_t($0) }), !isRunning(pid) else { continue }
            if unlink(folder + "/" + name) == 0 { removed += 1 }
        }
        return removed
    }

    private static func isRunning(_ pid: pid_t) -> Bool {
        pid == getpid() || kill(pid, 0) == 0 || errno == EPERM
    }

    /// Makes a finished file's bytes durable before it is renamed into place, so that after a
    /// power loss the output is whole or absent, never present and empty.
    static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw MediaError(path: path, "cannot open the finished file (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw MediaError(path: path, "cannot flush the finished file (\(String(cString: strerror(errno))))") }
    }

    /// Makes a rename into `path`'s folder durable.
    static func syncFolder(of path: String) {
        let fd = open(URL(fileURLWithPath: path).deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
