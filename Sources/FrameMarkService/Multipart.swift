import Foundation

/// A `multipart/form-data` upload already on disk, reduced to its first file part, in place:
/// scanned a megabyte at a time, never read whole.
enum Multipart {
    static func extractFirstFile(_ path: String, contentType: String) throws {
        guard let boundary = contentType.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) })
            .first(where: { $0.lowercased().hasPrefix("boundary=") })
            .map({ String($0.dropFirst("boundary=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }), !boundary.isEmpty
        else { throw ServiceError("a multipart upload without a boundary") }
        guard let input = FileHandle(forReadingAtPath: path) else { throw ServiceError("cannot read the upload") }
        defer { try? input.close() }
        let delimiter = Data("\r\n--\(boundary)".utf8)
        // Parts start after "--boundary\r\n" (the first has no leading CRLF); each has headers
        // ending with an empty line, then data up to the next delimiter.
        var offset: UInt64 = 0
        var first = true
        while true {
            guard let partStart = try find(first ? Data("--\(boundary)\r\n".utf8) : delimiter + Data("\r\n".utf8), in: input, from: offset)
            else { throw ServiceError("the multipart upload holds no file part") }
            let headersStart = partStart.end
            try input.seek(toOffset: headersStart)
            let head = try input.read(upToCount: 16 * 1024) ?? Data()
            guard let blank = head.range(of: Data("\r\n\r\n".utf8)) else { throw ServiceError("a multipart part's headers do not end") }
            let headers = String(decoding: head[..<blank.lowerBound], as: UTF8.self).lowercased()
            let dataStart = headersStart + UInt64(blank.upperBound)
            guard let end = try find(delimiter, in: input, from: dataStart) else { throw ServiceError("the multipart upload is cut short") }
            if headers.contains("filename=") {
                try copy(input, from: dataStart, to: end.start, into: path + ".part")
                guard rename(path + ".part", path) == 0 else { throw ServiceError("cannot store the upload") }
                return
            }
            offset = end.start
            first = false
        }
    }

    /// The first occurrence of `needle` at or after `offset`: its start and the offset after it.
    private static func find(_ needle: Data, in file: FileHandle, from offset: UInt64) throws -> (start: UInt64, end: UInt64)? {
        var position = offset
        var carry = Data()
        try file.seek(toOffset: offset)
        while let chunk = try file.read(upToCount: 1 << 20), !chunk.isEmpty {
            let window = carry + chunk
            if let r = window.range(of: needle) {
                let start = position - UInt64(carry.count) + UInt64(r.lowerBound - window.startIndex)
                return (start, start + UInt64(needle.count))
            }
            position += UInt64(chunk.count)
            carry = window.suffix(needle.count - 1)
        }
        return nil
    }

    private static func copy(_ input: FileHandle, from start: UInt64, to end: UInt64, into path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let output = FileHandle(forWritingAtPath: path) else {
            throw ServiceError("cannot store the upload")
        }
        defer { try? output.close() }
        try input.seek(toOffset: start)
        var left = end - start
        while left > 0, let chunk = try input.read(upToCount: Int(min(left, 1 << 20))), !chunk.isEmpty {
            try output.write(contentsOf: chunk)
            left -= UInt64(chunk.count)
        }
    }
}
