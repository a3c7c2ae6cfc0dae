import Foundation

/// Assets written out as CSV (a header row, RFC 4180 quoting) or JSON Lines, one row at a time.
public enum AssetExport {
    public enum Format: String, CaseIterable, Sendable { case csv, jsonl }

    static let columns = ["id", "message", "status", "input_path", "input_sha256", "output_path", "output_sha256", "key_fingerprint",
                          "strength", "settings", "tool_version", "started_at", "finished_at", "error", "metadata"]

    /// Writes every asset (or those with `status`) to `output`; returns how many.
    @discardableResult
    public static func write(_ registry: any AssetRegistry, format: Format, status: Asset.Status? = nil,
                             to output: (String) throws -> Void) throws -> Int {
        var count = 0
        var buffer = ""
        func flush(_ force: Bool) throws {
            if force || buffer.utf8.count > 1 << 16 { try output(buffer); buffer = "" }
        }
        if format == .csv { buffer += columns.joined(separator: ",") + "\n" }
        try registry.forEachAsset(status: status) { asset in
            let values = fields(asset)
            switch format {
            case .csv: buffer += columns.map { csvField(values[$0] ?? nil) }.joined(separator: ",") + "\n"
            case .jsonl: buffer += try jsonLine(asset, values) + "\n"
            }
            count += 1
            try flush(false)
        }
        try flush(true)
        return count
    }

    /// An asset as text fields (nil: no value), the columns of the registry's table.
    public static func fields(_ a: Asset) -> [String: String?] {
        ["id": String(a.id), "message": a.message.hex, "status": a.status.rawValue, "input_path": a.inputPath,
         "input_sha256": a.inputSHA256, "output_path": a.outputPath, "output_sha256": a.outputSHA256,
         "key_fingerprint": a.keyFingerprint, "strength": String(a.strength), "settings": a.settings, "tool_version": a.toolVersion,
         "started_at": timestamp(a.startedAt), "finished_at": a.finishedAt.map(timestamp), "error": a.error, "metadata": a.metadata]
    }

    /// An asset as a JSON object: settings and metadata as the objects they hold.
    public static func object(_ a: Asset) -> [String: Any] {
        var o: [String: Any] = fields(a).mapValues { $0.map { $0 as Any } ?? NSNull() }
        o["id"] = a.id
        o["strength"] = a.strength
        for key in ["settings", "metadata"] {
            if let text = o[key] as? String, let value = try? JSONSerialization.jsonObject(with: Data(text.utf8)) { o[key] = value }
        }
        return o
    }

    static func jsonLine(_ a: Asset, _ values: [String: String?]) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: object(a), options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    static func csvField(_ value: String?) -> String {
        guard let value else { return "" }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// UTC, ISO 8601 with milliseconds: "2026-12-08T01:19:57.123Z".
    static func timestamp(_ date: Date) -> String { timestampStyle.format(date) }

    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
