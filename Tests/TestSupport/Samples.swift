import Foundation

/// The repository's own sample clip (part of every clone), found from this source file's place.
public enum RepositorySamples {
    public static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `Samples/astronaut_pan_720p.mp4`: 1280×720, 150 frames at 25 fps, with AAC audio.
    public static var astronautPan: String { root.appendingPathComponent("Samples/astronaut_pan_720p.mp4").path }
}
