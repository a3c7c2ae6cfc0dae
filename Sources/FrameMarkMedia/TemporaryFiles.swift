import Foundation

/// Output files still being written, so that an interrupt (Ctrl-C) can remove them.
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
}
