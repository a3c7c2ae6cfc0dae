import Foundation
import XCTest

/// The package's layout, as the sources state it: FFmpeg's C API is reached only from the media
/// layer, and imported there `internal`ly so that it never leaks into that module's interface;
/// the watermark core and the forensics never see media or FFmpeg; the CLI only calls modules.
final class ModuleLayoutTests: XCTestCase {
    /// Modules each module may not import.
    static let forbidden: [String: Set<String>] = [
        "FrameMarkCore": ["CFFmpeg", "FrameMarkMedia", "FrameMarkPipeline", "FrameMarkForensics"],
        "FrameMarkForensics": ["CFFmpeg", "FrameMarkMedia", "FrameMarkPipeline"],
        "FrameMarkPipeline": ["CFFmpeg"],
        "FrameMarkRegistry": ["CFFmpeg", "FrameMarkMedia", "FrameMarkPipeline"],
        "FrameMarkBatch": ["CFFmpeg"],
        "FrameMarkService": ["CFFmpeg"],
        "framemark": ["CFFmpeg"],
    ]

    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    /// Each `import` line of every Swift file of `module`: (file, imported module, the line).
    private func imports(of module: String) throws -> [(file: String, module: String, line: String)] {
        let folder = Self.sources.appendingPathComponent(module)
        let files = try XCTUnwrap(FileManager.default.enumerator(atPath: folder.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        XCTAssertFalse(files.isEmpty, "no sources found for \(module) at \(folder.path)")
        return try files.flatMap { file in
            try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8).split(separator: "\n").compactMap { line in
                let words = line.split(separator: " ").map(String.init)
                guard let i = words.firstIndex(of: "import"), i + 1 < words.count,
                      words[..<i].allSatisfy({ ["internal", "public", "package", "private", "fileprivate", "@testable", "@_exported"].contains($0) })
                else { return nil }
                return (file, words[i + 1], String(line))
            }
        }
    }

    func testEachModuleImportsOnlyWhatTheLayoutAllows() throws {
        for (module, banned) in Self.forbidden {
            for found in try imports(of: module) where banned.contains(found.module) {
                XCTFail("\(module)/\(found.file) imports \(found.module): \(found.line)")
            }
        }
    }

    func testTheMediaLayerImportsFFmpegInternally() throws {
        let ffmpeg = try imports(of: "FrameMarkMedia").filter { $0.module == "CFFmpeg" }
        XCTAssertFalse(ffmpeg.isEmpty)
        for found in ffmpeg where !found.line.hasPrefix("internal import") {
            XCTFail("FrameMarkMedia/\(found.file) makes FFmpeg part of its interface: \(found.line)")
        }
    }
}
