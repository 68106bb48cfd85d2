#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// RFC 3339 timestamps as AWS writes and reads them.
public enum Timestamp {
    /// Formats `date` as `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds), which every AWS SDK parses.
    public static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
    }

    /// Parses an RFC 3339 timestamp with or without fractional seconds, in UTC or with an offset.
    public static func parse(_ text: String) -> Date? {
        let trimmed = String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        if let date = try? Date.ISO8601FormatStyle(timeZone: .gmt).parse(trimmed) {
            return date
        }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt).parse(trimmed)
    }
}
