import Foundation

/// Lets numbered tasks running on a worker pool pass one section strictly in index order:
/// task n enters only after tasks 0…n−1 have passed. Every index must pass exactly once
/// (`pass` or `skip`), or the tasks after it wait for ever.
public final class Turnstile: @unchecked Sendable {
    private let condition = NSCondition()
    private var next = 0  // guarded by condition

    public init() {}

    /// Runs `body` once every earlier index has passed.
    public func pass<T>(_ index: Int, _ body: () throws -> T) rethrows -> T {
        condition.lock()
        while next != index { condition.wait() }
        condition.unlock()
        defer { skip(index) }
        return try body()
    }

    /// Lets `index` through without running anything (after an error, say).
    public func skip(_ index: Int) {
        condition.lock()
        while next != index { condition.wait() }
        next = index + 1
        condition.broadcast()
        condition.unlock()
    }
}
