import Foundation
import FrameMarkCore
import FrameMarkRegistry

/// What `framemark serve` runs with.
public struct ServiceConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var key: WatermarkKey
    public var tokens: TokenStore
    public var registry: (any AssetRegistry)?
    /// Where uploads and reports are kept while their jobs live (emptied at start).
    public var workFolder: String
    /// Largest upload, bytes (413 past it).
    public var maxUploadBytes = 512 * 1024 * 1024
    /// Longest video, seconds of content (413 past it).
    public var maxSeconds = 600.0
    /// Detections run at once; further ones wait in a queue of `queueLength` (503 past it).
    public var concurrentDetections = 1
    public var queueLength = 16
    /// Seconds a finished job's result, report and files are kept.
    public var retentionSeconds = 3600.0
    /// Seconds a connection may stay silent (a stalled upload) before it is closed.
    public var idleTimeoutSeconds = 30.0
    /// How long `?wait=true` waits for a result before answering 202 anyway.
    public var waitSeconds = 60.0

    public init(key: WatermarkKey, tokens: TokenStore, registry: (any AssetRegistry)? = nil, workFolder: String) {
        self.key = key
        self.tokens = tokens
        self.registry = registry
        self.workFolder = workFolder
    }
}
