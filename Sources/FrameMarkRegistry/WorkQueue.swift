import Foundation

/// A registry that many machines share as one queue of files to mark: rows are enqueued once
/// (by whichever worker comes first) and claimed one at a time under a lease, so that a worker
/// that dies gives its file back when the lease runs out, with no coordinator of our own.
public protocol WorkQueueRegistry: AssetRegistry {
    /// The pending row for `request.outputPath` in `queue` (reserved now, or the one already
    /// there, its message kept). A failed row goes back to pending: a new run retries it.
    func enqueue(_ request: AssetRequest, queue: String) throws -> Asset
    /// Takes the next pending row of `queue` that no live lease holds, for `lease`; nil when none is free.
    func claim(queue: String, worker: String, lease: Duration) throws -> Asset?
    /// Extends a claimed row's lease; false when `worker` no longer holds it.
    func renew(_ id: Int64, worker: String, lease: Duration) throws -> Bool
    /// Rows of `queue` still pending (leased or not): a worker waits while any are leased by others.
    func pendingCount(queue: String) throws -> Int
    /// How many times the row was claimed.
    func claims(_ id: Int64) throws -> Int
}
