import FrameMarkForensics
import FrameMarkMedia
import Foundation

extension DetectionReport {
    /// The `detect --report` page. Thumbnails come from a second decode of the input, which stops
    /// at the last flagged frame; pictures are made with libavcodec's mjpeg encoder.
    public func page(thumbnailWidth: Int = 320) throws -> ForensicPage {
        let wanted = ForensicPage.thumbnailFrames(forensics, frameCount: verdict.frames.count)
        var thumbnails: [Int: [UInt8]] = [:]
        if let last = wanted.last {
            let reader = try MediaReader(path: file)
            let encoder = ThumbnailEncoder(width: thumbnailWidth)
            var index = 0
            while index <= last, let item = try reader.next() {
                guard case .frame(let frame) = item else { continue }
                if wanted.contains(index) { thumbnails[index] = try encoder.jpeg(frame) }
                index += 1
            }
        }
        return ForensicPage(file: file, detected: verdict.detected, log10PValue: verdict.log10PValue, message: verdict.message?.hex,
                            transform: transformDescription ?? "none (nothing detected)", frames: verdict.frames.map { ($0.timeSeconds, $0.log10PValue) },
                            report: forensics, thumbnails: thumbnails)
    }

    /// What the detector undid to read the mark, in words, or nil when nothing was detected (the
    /// hypothesis that scored best on an unmarked clip means nothing).
    public var transformDescription: String? {
        guard verdict.detected else { return nil }
        let h = verdict.hypothesis
        var transform = h.orientation.description
        if h.inverted { transform += ", inverted" }
        transform += String(format: ", gain %.2f, gamma %.2f", h.gain, h.tone)
        if tracked { transform += ", grid tracked with the picture" }
        return transform
    }

    /// Writes the page to `path` (whole or not at all), with the registry's record of the
    /// message when there is one.
    public func writePage(to path: String, asset: [(label: String, value: String)] = []) throws {
        var page = try page()
        page.asset = asset
        try page.write(to: path)
    }
}

extension ForensicPage {
    /// Writes the page to `path`: a temporary file beside it, then renamed.
    func write(to path: String) throws {
        let html = html()
        let temporary = path + ".part-\(getpid())"
        do {
            try html.write(toFile: temporary, atomically: false, encoding: .utf8)
            guard rename(temporary, path) == 0 else { throw MediaError(path: path, "cannot write the report (\(String(cString: strerror(errno))))") }
        } catch let error as MediaError {
            unlink(temporary)
            throw error
        } catch {
            unlink(temporary)
            throw MediaError(path: path, "cannot write the report (\(error.localizedDescription))")
        }
    }
}
