import Foundation
import Synchronization

/// Per-token request budgets: a bucket of `rate` requests refilled evenly over a minute.
final class RateLimiter: Sendable {
    private struct Bucket { var tokens: Double; var updated: Double }
    private let buckets = Mutex<[String: Bucket]>([:])

    /// Takes one request from `name`'s bucket; nil when allowed, else the seconds until the next one is.
    func take(_ name: String, rate: Int, now: Double = ProcessInfo.processInfo.systemUptime) -> Double? {
        let capacity = Double(max(rate, 1)), perSecond = capacity / 60
        return buckets.withLock { all in
            var b = all[name] ?? Bucket(tokens: capacity, updated: now)
            b.tokens = min(capacity, b.tokens + (now - b.updated) * perSecond)
            b.updated = now
            defer { all[name] = b }
            guard b.tokens >= 1 else { return (1 - b.tokens) / perSecond }
            b.tokens -= 1
            return nil
        }
    }
}
