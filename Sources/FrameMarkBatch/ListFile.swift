import Foundation
import FrameMarkCore

/// One row of a batch list: the file, an optional chosen message, and the rest of the row as
/// free metadata (asset id, model, prompt id…), kept as a JSON object.
public struct ListEntry: Sendable, Equatable {
    public var path: String
    public var message: Message?
    /// The row's other columns as a JSON object with sorted keys.
    public var metadata: String
    /// Where the row is, for errors: "list.csv:12".
    public var origin: String
}

/// Reads a batch list: CSV with a header row (RFC 4180 quoting), or JSON Lines (one object per
/// line), either with a `path` column and optional `message` (16 hex digits). Chosen by the
/// extension (.csv, .jsonl, .ndjson), else by the first character. Every row is checked before
/// anything is marked: a bad row is an error naming its line.
public enum ListFile {
    public static func read(_ path: String) throws -> [ListEntry] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BatchError("\(path): cannot read the list (\(String(cString: strerror(errno))))")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw BatchError("\(path): the list is not UTF-8 text") }
        let name = URL(fileURLWithPath: path).lastPathComponent
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        let jsonLines = ext == "jsonl" || ext == "ndjson"
            || (ext != "csv" && text.drop(while: { $0.isWhitespace || $0 == "\u{FEFF}" }).first == "{")
        let entries = try jsonLines ? readJSONLines(text, name: name) : readCSV(text, name: name)
        guard !entries.isEmpty else { throw BatchError("\(path): the list has no rows") }
        return entries
    }

    static func readJSONLines(_ text: String, name: String) throws -> [ListEntry] {
        var entries: [ListEntry] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let origin = "\(name):\(i + 1)"
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines.union(["\u{FEFF}"]))
            guard !trimmed.isEmpty else { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8))) as? [String: Any] else {
                throw BatchError("\(origin): not a JSON object")
            }
            guard let path = object["path"] as? String, !path.isEmpty else { throw BatchError("\(origin): no \"path\" string") }
            var message: Message?
            if let value = object["message"], !(value is NSNull) {
                guard let hex = value as? String else { throw BatchError("\(origin): \"message\" must be a string of 16 hex digits") }
                message = try parseMessage(hex, origin)
            }
            var rest = object
            rest["path"] = nil
            rest["message"] = nil
            entries.append(ListEntry(path: path, message: message, metadata: try json(rest, origin), origin: origin))
        }
        return entries
    }

    static func readCSV(_ text: String, name: String) throws -> [ListEntry] {
        let rows = try csvRows(text, name: name)
        guard let header = rows.first else { return [] }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        guard let pathColumn = columns.firstIndex(of: "path") else {
            throw BatchError("\(name):\(header.line): the header has no \"path\" column (found: \(columns.joined(separator: ", ")))")
        }
        if let duplicate = Dictionary(grouping: columns, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw BatchError("\(name):\(header.line): the column \"\(duplicate)\" appears twice")
        }
        let messageColumn = columns.firstIndex(of: "message")
        var entries: [ListEntry] = []
        for row in rows.dropFirst() {
            let origin = "\(name):\(row.line)"
            guard row.fields.count == columns.count else {
                throw BatchError("\(origin): \(row.fields.count) fields where the header has \(columns.count)")
            }
            let path = row.fields[pathColumn]
            guard !path.isEmpty else { throw BatchError("\(origin): the path is empty") }
            let message = try messageColumn.flatMap { row.fields[$0].isEmpty ? nil : try parseMessage(row.fields[$0], origin) }
            var rest: [String: Any] = [:]
            for (k, column) in columns.enumerated() where k != pathColumn && k != messageColumn { rest[column] = row.fields[k] }
            entries.append(ListEntry(path: path, message: message, metadata: try json(rest, origin), origin: origin))
        }
        return entries
    }

    /// CSV records with the line each starts on; blank lines are skipped. Quoted fields may hold
    /// commas, doubled quotes and line breaks.
    static func csvRows(_ text: String, name: String) throws -> [(line: Int, fields: [String])] {
        var rows: [(line: Int, fields: [String])] = []
        var fields: [String] = [], field = "", quoted = false, afterQuote = false
        var line = 1, rowLine = 1
        var chars = text.unicodeScalars.makeIterator()
        if text.unicodeScalars.first == "\u{FEFF}" { _ = chars.next() }
        func endRow() {
            fields.append(field)
            if !(fields.count == 1 && fields[0].isEmpty) { rows.append((rowLine, fields)) }
            fields = []; field = ""; afterQuote = false
        }
        while let c = chars.next() {
            if quoted {
                if c == "\"" { quoted = false; afterQuote = true } else { if c == "\n" { line += 1 }; field.unicodeScalars.append(c) }
                continue
            }
            switch c {
            case "\"":
                if afterQuote { field.append("\""); quoted = true; afterQuote = false }
                else if field.isEmpty { quoted = true }
                else { throw BatchError("\(name):\(line): a quote inside an unquoted field") }
            case ",": fields.append(field); field = ""; afterQuote = false
            case "\r": continue
            case "\n": endRow(); line += 1; rowLine = line
            default:
                if afterQuote { throw BatchError("\(name):\(line): text after a closing quote") }
                field.unicodeScalars.append(c)
            }
        }
        if quoted { throw BatchError("\(name):\(rowLine): a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty { endRow() }
        return rows
    }

    private static func parseMessage(_ hex: String, _ origin: String) throws -> Message {
        do { return try Message(hex: hex.trimmingCharacters(in: .whitespaces)) } catch {
            throw BatchError("\(origin): message \"\(hex)\" is not 16 hex digits")
        }
    }

    private static func json(_ object: [String: Any], _ origin: String) throws -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            throw BatchError("\(origin): the row's other columns cannot be kept as JSON")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
