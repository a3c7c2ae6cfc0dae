import Foundation
import FrameMarkCore

/// One file of a batch: where it is, where its marked copy goes, and what the caller chose for it.
public struct BatchItem: Sendable, Equatable {
    public var input: String
    public var output: String
    /// The output's path under the output folder: what shards are split on.
    public var relativeOutput: String
    public var message: Message?
    /// Free metadata from the list row, a JSON object ("{}" without a list).
    public var metadata: String
    /// Where the item came from, for errors: a list row ("list.csv:12") or the input path.
    public var origin: String
}

/// The files of a batch and their outputs: directories walked recursively, a list read, the
/// output tree mirrored under one folder, collisions refused before anything is marked.
public struct BatchPlan: Sendable {
    public static let videoExtensions: Set<String> = ["mp4", "mov", "mkv", "m4v", "webm", "avi", "mpg", "mpeg", "ts", "mts", "m2ts", "y4m", "flv", "wmv", "3gp"]
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "webp", "bmp", "tif", "tiff"]
    /// Outputs each kind can be written as; anything else is written as the first.
    static let videoOutputs = ["mp4", "mov", "mkv"]
    static let imageOutputs = ["png", "jpg", "jpeg", "webp"]

    public var items: [BatchItem]

    /// - Parameters:
    ///   - inputs: files and directories (walked recursively; hidden files and the output folder skipped).
    ///   - list: a CSV or JSON Lines list (`ListFile`); its relative paths are taken from the list's folder.
    ///   - include: shell patterns a walked file must match (its name, or its path under the
    ///     directory when the pattern has a "/"); none: every video and image by extension.
    ///   - outputFolder: where the marked copies go, mirroring each directory's tree.
    ///   - namePattern: the output's file name from `{stem}` (the input's name without extension),
    ///     `{ext}` (the output's extension: the input's when it can be written, else mp4 or png)
    ///     and `{name}` (`{stem}.{ext}`).
    public init(inputs: [String], list: String? = nil, include: [String] = [], outputFolder: String, namePattern: String = "{name}") throws {
        let out = Self.absolute(outputFolder)
        guard namePattern.contains("{stem}") || namePattern.contains("{name}") else {
            throw BatchError("--name \"\(namePattern)\" must contain {stem} or {name}, or every output would have the same name")
        }
        guard !namePattern.contains("/") else { throw BatchError("--name \"\(namePattern)\" must be a file name, without \"/\"") }
        var found: [(input: String, relative: String, message: Message?, metadata: String, origin: String)] = []
        for input in inputs {
            let path = Self.absolute(input)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw BatchError("\(input): no such file or directory")
            }
            if isDirectory.boolValue {
                let files = try Self.walk(path, include: include, skipping: out)
                if files.isEmpty { throw BatchError("\(input): no \(include.isEmpty ? "video or image" : "matching") files in the directory") }
                found += files.map { (path + "/" + $0, $0, nil, "{}", path + "/" + $0) }
            } else {
                found.append((path, (path as NSString).lastPathComponent, nil, "{}", input))
            }
        }
        if let list {
            let folder = (Self.absolute(list) as NSString).deletingLastPathComponent
            for entry in try ListFile.read(list) {
                let path = entry.path.hasPrefix("/") ? Self.standard(entry.path) : Self.standard(folder + "/" + entry.path)
                // A relative path inside the list's folder keeps its tree; anything else keeps its name.
                let relative = !entry.path.hasPrefix("/") && path.hasPrefix(folder + "/") ? String(path.dropFirst(folder.count + 1)) : (path as NSString).lastPathComponent
                found.append((path, relative, entry.message, entry.metadata, entry.origin))
            }
        }
        guard !found.isEmpty else { throw BatchError("nothing to mark: give files, directories or --list") }
        var items: [BatchItem] = []
        var byOutput: [String: String] = [:]
        var messages: [Message: String] = [:]
        for f in found {
            let folder = (f.relative as NSString).deletingLastPathComponent
            let name = Self.outputName((f.relative as NSString).lastPathComponent, pattern: namePattern)
            let relative = folder.isEmpty ? name : folder + "/" + name
            let output = out + "/" + relative
            if let other = byOutput[output] {
                throw BatchError("\(f.origin) and \(other) would both be written to \(output)")
            }
            if Self.standard(f.input) == output { throw BatchError("\(f.origin): the output would overwrite the input (\(output))") }
            if let m = f.message {
                if let other = messages[m] { throw BatchError("\(f.origin) and \(other) ask for the same message \(m.hex)") }
                messages[m] = f.origin
            }
            byOutput[output] = f.origin
            items.append(BatchItem(input: f.input, output: output, relativeOutput: relative, message: f.message, metadata: f.metadata, origin: f.origin))
        }
        self.items = items
    }

    /// The items of shard `index` of `count` (0-based): chosen by a hash of each output's
    /// relative path, so every machine of a job array computes the same split from the same
    /// inputs, and a file keeps its shard when others are added.
    public func shard(_ index: Int, of count: Int) -> [BatchItem] {
        items.filter { Int(Self.fnv1a($0.relativeOutput) % UInt64(count)) == index }
    }

    static func outputName(_ inputName: String, pattern: String) -> String {
        let ext = (inputName as NSString).pathExtension.lowercased()
        let stem = ext.isEmpty ? inputName : (inputName as NSString).deletingPathExtension
        let image = imageExtensions.contains(ext)
        let allowed = image ? imageOutputs : videoOutputs
        let outExt = allowed.contains(ext) ? (inputName as NSString).pathExtension : allowed[0]
        return pattern.replacingOccurrences(of: "{name}", with: "\(stem).\(outExt)")
            .replacingOccurrences(of: "{stem}", with: stem).replacingOccurrences(of: "{ext}", with: outExt)
    }

    /// Files under `folder` (relative paths, sorted), skipping hidden entries and `skipping`.
    static func walk(_ folder: String, include: [String], skipping excluded: String) throws -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { throw BatchError("\(folder): cannot read the directory") }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            let path = folder + "/" + relative
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") || path == excluded {
                if (walker.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory { walker.skipDescendants() }
                continue
            }
            guard (walker.fileAttributes?[.type] as? FileAttributeType) == .typeRegular else { continue }
            let ext = (name as NSString).pathExtension.lowercased()
            let wanted = include.isEmpty
                ? videoExtensions.contains(ext) || imageExtensions.contains(ext)
                : include.contains { fnmatch($0, $0.contains("/") ? relative : name, 0) == 0 }
            if wanted { files.append(relative) }
        }
        return files.sorted()
    }

    static func absolute(_ path: String) -> String {
        standard(path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path)
    }

    static func standard(_ path: String) -> String { (path as NSString).standardizingPath }

    static func fnv1a(_ s: String) -> UInt64 {
        s.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}
